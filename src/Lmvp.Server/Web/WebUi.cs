using Lmvp.Server.Auth;
using Lmvp.Server.Storage;
using Lmvp.Server.Web.Auth;
using Lmvp.Server.Web.Data;
using Lmvp.Server.Web.Html;
using Lmvp.Server.Web.Pages;
using Lmvp.Store;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Lmvp.Server.Web;

/// <summary>Registers and maps the web UI: server-rendered pages for people, beside the JSON API for programs.</summary>
internal static class WebUi
{
    /// <summary>The largest form a page accepts.</summary>
    public const long MaxFormBytes = 64 * 1024;

    /// <summary>What pages may load: only this server's stylesheet, images and one script file (no inline script, nothing from
    /// another origin); the script may fetch nothing.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>Adds the web UI's services; the keys that protect cookies and forms are kept in <paramref name="sharedKeys"/> when
    /// several servers share them, else in <paramref name="dataDirectory"/>.</summary>
    public static IServiceCollection AddLmvpWeb(this IServiceCollection services, string dataDirectory,
        Microsoft.AspNetCore.DataProtection.Repositories.IXmlRepository? sharedKeys = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        var protection = services.AddDataProtection().SetApplicationName("lmvp-server");
        if (sharedKeys is not null)
        {
            services.Configure<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>(o => o.XmlRepository = sharedKeys);
        }
        else
        {
            var keysPath = Path.Combine(dataDirectory, "web-keys");
            protection.PersistKeysToFileSystem(OperatingSystem.IsWindows()
                ? Directory.CreateDirectory(keysPath)
                : Directory.CreateDirectory(keysPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        }

        // The keys sit in the data directory beside the JWT key and the database, protected by the same file permissions;
        // Data Protection's warning about unencrypted keys at every start would only repeat that.
        services.AddLogging(logging => logging.AddFilter("Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager", LogLevel.Error));
        services.AddAntiforgery(options =>
        {
            options.Cookie.Name = "lmvp_csrf";
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.FormFieldName = "_csrf";
            options.HeaderName = null;
            options.SuppressXFrameOptionsHeader = true;
        });
        services.Configure<RouteOptions>(o => o.SetParameterPolicy<OutsideApiConstraint>(OutsideApiConstraint.Name));
        services.AddSingleton<WebSessions>();
        services.AddSingleton<ModelCard>();
        services.AddPageCompression();
        return services;
    }

    /// <summary>Maps every page; call after the API so its routes keep precedence.</summary>
    public static IEndpointRouteBuilder MapLmvpWeb(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet(Urls.Stylesheet, Assets.Stylesheet).ExcludeFromDescription();
        app.MapGet(Urls.Icon, Assets.Icon).ExcludeFromDescription();
        app.MapGet(Urls.Script, Assets.Script).ExcludeFromDescription();

        var web = app.MapGroup("").ExcludeFromDescription().AddEndpointFilter(SecureAsync);
        AccountPages.Map(web);
        RepositoryPages.Map(web);
        HistoryPages.Map(web);
        MetricsPages.Map(web);
        CommitPages.Map(web);
        DownloadEndpoint.Map(web);
        MemberPages.Map(web);
        TokenPages.Map(web);
        AdminPages.Map(web);
        RefHistoryPages.Map(web);
        AuditPages.Map(web);

        // Every other GET outside the API gets the styled 404 page; the API keeps its JSON errors (and its 405s).
        // A RequestDelegate, not a Delegate: the request delegate generator's MapFallback(pattern, Delegate) drops the pattern.
        app.MapFallback($"{{**path:{OutsideApiConstraint.Name}}}", async http => await (await NotFoundAsync(http)).ExecuteAsync(http)).WithMetadata(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head]))
            .ExcludeFromDescription();
        return app;
    }

    /// <summary>The page for a URL that names nothing.</summary>
    private static async Task<IResult> NotFoundAsync(HttpContext http)
    {
        SetSecurityHeaders(http.Response.Headers);
        return Page.NotFound(await WebContext.ForAsync(http));
    }

    private static void SetSecurityHeaders(IHeaderDictionary headers)
    {
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "same-origin";
        headers.CacheControl = "no-store";
    }

    /// <summary>Every page: security headers; every post: a bounded form with a valid antiforgery token.</summary>
    private static async ValueTask<object?> SecureAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        SetSecurityHeaders(http.Response.Headers);
        if (HttpMethods.IsPost(http.Request.Method))
        {
            // The answers to forms are where new tokens and invitation links are shown once: never compressed (BREACH).
            PageCompression.DoNotCompress(http);
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = MaxFormBytes;
            }

            if (http.Request.ContentLength > MaxFormBytes)
            {
                return Results.Text("The form is too large.", "text/plain", statusCode: StatusCodes.Status413PayloadTooLarge);
            }

            if (!http.Request.HasFormContentType)
            {
                return Results.Text("Expected a form.", "text/plain", statusCode: StatusCodes.Status415UnsupportedMediaType);
            }

            try
            {
                await http.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(http);
            }
            catch (AntiforgeryValidationException)
            {
                var webContext = context.Arguments.OfType<WebContext>().FirstOrDefault();
                return webContext is null
                    ? Results.Text("The form has expired: reload the page and try again.", "text/plain", statusCode: StatusCodes.Status400BadRequest)
                    : Page.Message(webContext, StatusCodes.Status400BadRequest, "Form expired",
                        "This form was not sent from this site's page, or it has expired. Go back, reload the page and try again.");
            }
        }

        try
        {
            return await next(context);
        }
        catch (Exception e) when (StorageErrors.IsFull(e) && context.Arguments.OfType<WebContext>().FirstOrDefault() is { } webContext)
        {
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Lmvp.Web").LogError("Storage full on {Path}: {Problem}", http.Request.Path,
                StorageErrors.Describe(e));
            return Page.Message(webContext, StatusCodes.Status507InsufficientStorage, "Storage full", Hosting.ApiErrorMiddleware.Full(e));
        }
        catch (Exception e) when (e is LmvpException or Services.DamagedDataException && context.Arguments.OfType<WebContext>().FirstOrDefault() is { } webContext)
        {
            // Damaged or missing objects are a server-side problem worth a clear page, not a stack trace; the chunk or
            // object id in the message is what an operator needs to repair the repository.
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Lmvp.Web")
                .LogWarning("Damaged repository data on {Path}: {Problem}", http.Request.Path, e.Message);
            return Page.Message(webContext, StatusCodes.Status500InternalServerError, "Repository data damaged",
                "This repository's stored data could not be read or did not verify: " + e.Message);
        }
    }
}

/// <summary>Matches a path outside the API (<c>api/</c>, <c>openapi/</c>, in any case, as the regex constraint it replaces did):
/// a prefix test instead of routing's regex constraint, which a trimmed native build may not carry.</summary>
internal sealed class OutsideApiConstraint : IRouteConstraint
{
    /// <summary>The constraint's name in route templates.</summary>
    public const string Name = "outsideapi";

    /// <inheritdoc />
    public bool Match(HttpContext? httpContext, IRouter? route, string routeKey, RouteValueDictionary values, RouteDirection routeDirection) =>
        !(values.TryGetValue(routeKey, out var value) && Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) is { } path
            && (path.StartsWith("api/", StringComparison.OrdinalIgnoreCase) || path.StartsWith("openapi/", StringComparison.OrdinalIgnoreCase)));
}
