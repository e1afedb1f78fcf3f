using Lmvp.Server.Auth;
using Lmvp.Server.Services;
using Lmvp.Server.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lmvp.Server.Api;

/// <summary>The repository a request under <c>/api/v1/repos/{owner}/{name}</c> is about and the caller's rights there, resolved
/// once per request by <see cref="RepositoryFilter"/>; handlers take it as a parameter.</summary>
internal sealed class RepositoryContext
{
    private readonly RepositoryRecord? _record;
    private readonly RepositoryGraph? _graph;
    private readonly Caller? _caller;

    private RepositoryContext(Caller? caller, RepositoryRecord? record, AccessLevel role, RepositoryGraph? graph, JsonHttpResult<ApiError>? error, string address)
    {
        _caller = caller;
        _record = record;
        Role = role;
        _graph = graph;
        Error = error;
        Address = address;
    }

    /// <summary>Who calls.</summary>
    public Caller Caller => _caller ?? throw new InvalidOperationException("Access was refused.");

    /// <summary>The repository.</summary>
    public RepositoryRecord Record => _record ?? throw new InvalidOperationException("Access was refused.");

    /// <summary>The caller's role in it, ignoring the token's scope.</summary>
    public AccessLevel Role { get; }

    /// <summary>Its objects, chunks and refs for Lmvp.Store's algorithms.</summary>
    public RepositoryGraph Graph => _graph ?? throw new InvalidOperationException("Access was refused.");

    public long Id => Record.Id;

    /// <summary>The client's address, for the ref history and the audit log.</summary>
    public string Address { get; }

    /// <summary>What the caller may do here: the lower of their role and their token's scope.</summary>
    public AccessLevel Access => AccessLevels.Min(Role, Caller.Scope);

    /// <summary>The caller as the ref-update policy sees them, for a move that came <paramref name="via"/> (push, api).</summary>
    public RefActor Actor(string via) => new(Caller, Access, via, Address);

    /// <summary>The refusal the filter answers with, or null when access is granted.</summary>
    internal JsonHttpResult<ApiError>? Error { get; }

    /// <summary>Binds a handler parameter: resolves the repository and checks access (once per request).</summary>
    public static ValueTask<RepositoryContext> BindAsync(HttpContext context) => RepositoryFilter.ResolveAsync(context);

    internal static RepositoryContext Granted(Caller caller, RepositoryRecord record, AccessLevel role, RepositoryGraph graph, string address) =>
        new(caller, record, role, graph, null, address);

    internal static RepositoryContext Refused(JsonHttpResult<ApiError> error) => new(null, null, AccessLevel.None, null, error, "");
}

/// <summary>The level of access an endpoint of a repository group needs (read when an endpoint names none).</summary>
/// <param name="Level">The level.</param>
internal sealed record RequiresAccess(AccessLevel Level);

/// <summary>The request prelude of every repository endpoint, declared once per group: find the repository, check the caller
/// may act on it at the level the endpoint needs, and hand the result to the handler.</summary>
/// <remarks>A repository the caller cannot read answers 404, exactly as one that does not exist, so private names do not leak;
/// too low a role or token scope answers 403 with what is needed. The check runs when the handler's
/// <see cref="RepositoryContext"/> is bound; the filter answers a refusal before the handler runs.</remarks>
internal static class RepositoryFilter
{
    private static readonly object Key = new();

    /// <summary>Adds the prelude to a group whose routes carry <c>{owner}</c> and <c>{name}</c>.</summary>
    public static RouteGroupBuilder WithRepositoryAccess(this RouteGroupBuilder group) => group.AddEndpointFilter(async (context, next) =>
    {
        var repository = await ResolveAsync(context.HttpContext);
        return repository.Error is { } error ? error : await next(context);
    });

    /// <summary>Declares the level an endpoint needs.</summary>
    public static TBuilder Requires<TBuilder>(this TBuilder builder, AccessLevel level)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new RequiresAccess(level));

    internal static async ValueTask<RepositoryContext> ResolveAsync(HttpContext http)
    {
        if (http.Items.TryGetValue(Key, out var cached) && cached is RepositoryContext done)
        {
            return done;
        }

        var required = http.GetEndpoint()?.Metadata.GetMetadata<RequiresAccess>()?.Level ?? AccessLevel.Read;
        var owner = http.Request.RouteValues["owner"] as string ?? "";
        var name = http.Request.RouteValues["name"] as string ?? "";
        RepositoryContext result;
        var (caller, refusal) = await IdentifyAsync(http);
        if (caller is null)
        {
            result = RepositoryContext.Refused(refusal!);
        }
        else
        {
            var grant = await http.RequestServices.GetRequiredService<RepositoryAccess>().AuthorizeAsync(caller, owner, name, required, http.RequestAborted);
            result = grant.Error is { } error
                ? RepositoryContext.Refused(error)
                : RepositoryContext.Granted(caller, grant.Repository!, grant.Role, http.RequestServices.GetRequiredService<RepositoryGraphs>().For(grant.Repository!),
                    AuditTrail.AddressOf(http));
        }

        http.Items[Key] = result;
        return result;
    }

    /// <summary>Who calls: the authenticated caller, else <see cref="Caller.Anonymous"/> for a request that sent no credentials
    /// where the server allows anonymous reads; else the 401 to answer (credentials that fail are never ignored).</summary>
    internal static async ValueTask<(Caller? Caller, JsonHttpResult<ApiError>? Refusal)> IdentifyAsync(HttpContext http)
    {
        if (await Caller.BindAsync(http) is { } caller)
        {
            return (caller, null);
        }

        var result = await http.AuthenticateAsync(BearerAuthenticationHandler.SchemeName);
        if (result.None && http.RequestServices.GetRequiredService<RepositoryAccess>().AllowsAnonymousReads)
        {
            return (Caller.Anonymous, null);
        }

        http.Response.Headers.WWWAuthenticate = "Bearer";
        return (null, Errors.Unauthorized(result.Failure?.Message ?? RepositoryAccess.AuthenticationRequired));
    }
}
