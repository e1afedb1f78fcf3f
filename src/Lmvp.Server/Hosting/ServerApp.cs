using Lmvp.Server.Api;
using Lmvp.Server.Auth;
using Lmvp.Server.Storage;
using Lmvp.Server.Storage.Sql;
using Lmvp.Server.Services;
using Lmvp.Server.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.OpenApi;

namespace Lmvp.Server.Hosting;

/// <summary>Builds the lmvp-server web application: storage, authentication, limits, the API and its documentation.</summary>
/// <remarks>
/// Used by <c>lmvp-server</c> and by the tests, which run it on a real Kestrel port. The web UI (src/Lmvp.Server/Web/)
/// maps its pages in <see cref="MapEndpoints"/> and adds a cookie scheme next to the bearer one: both produce the
/// same <see cref="Caller"/>, so <see cref="RepositoryAccess"/> applies the same rules to both.
/// </remarks>
internal static class ServerApp
{
    /// <summary>Where the interactive API page is served.</summary>
    public const string ApiDocsPath = "api/docs";

    /// <summary>Where the OpenAPI document is served.</summary>
    public const string OpenApiPath = "/openapi/v1.json";

    /// <summary>Builds the application over <paramref name="options"/>'s storage; an embedded database's data directory is
    /// created if missing and locked while the server runs (a shared database needs no lock: servers share it).</summary>
    public static WebApplication Build(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Storage;
        if (settings.Validate() is { } problem)
        {
            throw new InvalidOperationException(problem);
        }

        var paths = ServerPaths.For(settings);
        paths.Create();
        var dataLock = settings.IsShared ? null : AcquireLock(paths);
        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions
            {
                Args = [],
                ContentRootPath = AppContext.BaseDirectory,
                ApplicationName = typeof(ServerApp).Assembly.GetName().Name,
            });
            builder.WebHost.UseUrls([.. options.Urls]);
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.MaxRequestBodySize = Lmvp.Store.Protocol.ProtocolLimits.MaxJsonBody;
            });

            // Bytes a connection reads ahead of the handler, in pinned 4 KiB blocks: at the default 1 MiB, three uploads in flight
            // held 3 MB of them at a push's peak (BENCHMARKS.md, issue 10); the kernel's socket buffer still keeps the link busy.
            builder.WebHost.UseSockets(sockets => sockets.MaxReadBufferSize = 256 * 1024);

            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Logging.SetMinimumLevel(options.MinimumLogLevel);
            var quiet = options.MinimumLogLevel < LogLevel.Warning ? LogLevel.Warning : options.MinimumLogLevel;
            builder.Logging.AddFilter("Microsoft.AspNetCore", quiet);
            builder.Logging.AddFilter(typeof(BearerAuthenticationHandler).FullName, quiet);

            // A failed start (a port in use) is reported by lmvp-server in one line; the host's stack trace is noise.
            builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);

            var time = TimeProvider.System;
            var storage = ServerStorage.OpenAsync(settings, paths, time, options.DecorateBlobs).GetAwaiter().GetResult();
            storage.Chunks.RecoverAsync(CancellationToken.None).GetAwaiter().GetResult();
            var services = builder.Services;
            services.AddSingleton(time);
            services.AddSingleton(paths);
            // Registered by factory so the container disposes them with the application.
            services.AddSingleton(_ => new DataDirectoryLock(dataLock, settings.DataDirectory is null ? paths.DataDirectory : null));
            services.AddSingleton(_ => storage);
            services.AddSingleton(settings);
            AddStorage(services, storage);
            services.AddSingleton(new SessionTokens(storage.SharedKeys is { } keys
                ? keys.GetOrCreateAsync(SqlServerKeys.SessionTokenKey, SessionTokens.KeySize, CancellationToken.None).GetAwaiter().GetResult()
                : SessionTokens.LoadOrCreateKey(paths.DataDirectory)));
            services.AddSingleton(new AccessPolicy(AnonymousReads: !options.RequireSignIn));
            services.AddSingleton<RepositoryAccess>();
            services.AddSingleton<ObjectCache>();
            services.AddSingleton<RepositoryGraphs>();
            services.AddSingleton<FileVerifier>();
            services.AddSingleton<BranchProtection>();
            services.AddSingleton<AuditTrail>();
            services.AddSingleton<SignInThrottle>();
            services.AddSingleton<PasswordSignIn>();
            services.AddSingleton<RepositoryTensors>();
            services.AddSingleton<RefUpdates>();
            services.AddSingleton<FileDigests>();
            services.AddSingleton<Uploads>();
            services.AddSingleton<ApiCommits>();
            services.AddLmvpWeb(paths.DataDirectory, storage.SharedKeys);

            services.AddAuthentication(BearerAuthenticationHandler.SchemeName)
                .AddScheme<AuthenticationSchemeOptions, BearerAuthenticationHandler>(BearerAuthenticationHandler.SchemeName, null);
            services.AddAuthorization();
            services.AddRequestTimeouts(o =>
            {
                o.DefaultPolicy = new RequestTimeoutPolicy { Timeout = RequestLimits.JsonTimeout };
                o.AddPolicy(RequestLimits.JsonPolicy, RequestLimits.JsonTimeout);
                o.AddPolicy(RequestLimits.UploadPolicy, RequestLimits.UploadTimeout);
                o.AddPolicy(RequestLimits.StreamPolicy, RequestLimits.StreamTimeout);
            });
            services.ConfigureHttpJsonOptions(o =>
            {
                o.SerializerOptions.RespectNullableAnnotations = true;
                o.SerializerOptions.RespectRequiredConstructorParameters = true;

                // JSON has no NaN: a diverged run's loss travels as the string "NaN", which Python's float() reads.
                o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals;
                o.SerializerOptions.TypeInfoResolverChain.Insert(0, Lmvp.Store.Protocol.ProtocolJsonContext.Default);
                o.SerializerOptions.TypeInfoResolverChain.Insert(1, ContentJsonContext.Default);
                o.SerializerOptions.TypeInfoResolverChain.Insert(2, ServerJsonContext.Default);
            });

            // Without reflection: a body type missing from the contexts fails in the tests' server as it would in the native one.
            services.PostConfigure<Microsoft.AspNetCore.Http.Json.JsonOptions>(o =>
            {
                var chain = o.SerializerOptions.TypeInfoResolverChain;
                for (var i = chain.Count - 1; i >= 0; i--)
                {
                    if (chain[i] is System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver)
                    {
                        chain.RemoveAt(i);
                    }
                }
            });
            services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
            services.AddOpenApi(o =>
            {
                o.AddDocumentTransformer((document, _, _) =>
                {
                    document.Info = new OpenApiInfo
                    {
                        Title = "lmvp-server",
                        Version = "v1",
                        Description = "Repositories, users, tokens and the sync protocol (docs/PROTOCOL.md) of LMVP.",
                    };
                    document.Components ??= new OpenApiComponents();
                    document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                    document.Components.SecuritySchemes[BearerAuthenticationHandler.SchemeName] = new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.Http,
                        Scheme = "bearer",
                        Description = "A personal access token (lmvp_pat_...) or a session access token from /api/v1/auth/login.",
                    };
                    document.Security ??= [];
                    document.Security.Add(new OpenApiSecurityRequirement
                    {
                        [new OpenApiSecuritySchemeReference(BearerAuthenticationHandler.SchemeName, document)] = [],
                    });
                    return Task.CompletedTask;
                });
            });

            var app = builder.Build();
            app.Services.GetRequiredService<DataDirectoryLock>();
            app.Services.GetRequiredService<ServerStorage>();
            Configure(app);
            return app;
        }
        catch
        {
            dataLock?.Dispose();
            throw;
        }
    }

    /// <summary>Registers each storage seam on its own, so a consumer depends only on the aggregate it uses.</summary>
    private static void AddStorage(IServiceCollection services, ServerStorage storage)
    {
        var m = storage.Metadata;
        services.AddSingleton(m);
        services.AddSingleton(m.Users);
        services.AddSingleton(m.Tokens);
        services.AddSingleton(m.Sessions);
        services.AddSingleton(m.Invitations);
        services.AddSingleton(m.Repositories);
        services.AddSingleton(m.Refs);
        services.AddSingleton(m.Objects);
        services.AddSingleton(m.Chunks);
        services.AddSingleton(m.Uploads);
        services.AddSingleton(m.Digests);
        services.AddSingleton(m.Audit);
        services.AddSingleton(m.SignInThrottle);
        services.AddSingleton(storage.Blobs);
        services.AddSingleton(storage.Chunks);
    }

    private static void Configure(WebApplication app)
    {
        // Brotli/gzip for pages and JSON (never for file downloads): see Web/PageCompression.
        app.UseResponseCompression();
        app.UseMiddleware<ApiErrorMiddleware>();

        // The page's assets are embedded in Swashbuckle.AspNetCore.SwaggerUI: nothing is fetched from the network.
        app.UseSwaggerUI(o =>
        {
            o.RoutePrefix = ApiDocsPath;
            o.SwaggerEndpoint(OpenApiPath, "lmvp-server v1");
            o.DocumentTitle = "lmvp-server API";
            o.ConfigObject.ValidatorUrl = null;
        });
        app.UseRouting();
        app.UseBodySizeLimits();
        app.UseRequestTimeouts();
        app.UseAuthentication();
        app.UseAuthorization();
        MapEndpoints(app);
    }

    /// <summary>Every endpoint of the server.</summary>
    private static void MapEndpoints(WebApplication app)
    {
        app.MapGet("/healthz", () => TypedResults.Text("ok")).ExcludeFromDescription();
        app.MapOpenApi(OpenApiPath.Replace("v1", "{documentName}", StringComparison.Ordinal));
        app.MapAuthEndpoints();
        app.MapUserEndpoints();
        app.MapInvitationEndpoints();
        app.MapRepositoryEndpoints();
        app.MapSyncEndpoints();
        app.MapHistoryEndpoints();
        app.MapFileEndpoints();
        app.MapRefEndpoints();
        app.MapRefHistoryEndpoints();
        app.MapAuditEndpoints();
        app.MapUploadEndpoints();
        app.MapTensorEndpoints();

        // The web UI (src/Lmvp.Server/Web/) maps its pages here.
        app.MapLmvpWeb();
    }

    /// <summary>Holds the data directory's lock file open (exclusively) while the server runs.</summary>
    /// <summary>Also removes the private spool directory of a server that keeps no data directory.</summary>
    internal sealed class DataDirectoryLock(FileStream? stream, string? privateDirectory) : IDisposable
    {
        public void Dispose()
        {
            stream?.Dispose();
            if (privateDirectory is not null)
            {
                try
                {
                    Directory.Delete(privateDirectory, recursive: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // An upload still finishing; the temp folder's own cleanup takes it later.
                }
            }
        }
    }

    /// <summary>The data directory's lock, held exclusively; fails when a server (or a migration) holds it.</summary>
    internal static FileStream AcquireLock(ServerPaths paths)
    {
        try
        {
            return new FileStream(paths.LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"{paths.DataDirectory} is in use by another lmvp-server ({e.Message})", e);
        }
    }
}
