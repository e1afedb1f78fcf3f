using Lmvp.Server.Storage;

namespace Lmvp.Server.Hosting;

/// <summary>A running lmvp-server: the application started on its addresses, after the first-start bootstrap.</summary>
internal sealed class ServerHost : IAsyncDisposable
{
    private ServerHost(WebApplication app, IReadOnlyList<string> urls, Bootstrap.Result? bootstrap)
    {
        App = app;
        Urls = urls;
        BootstrapResult = bootstrap;
    }

    public WebApplication App { get; }

    /// <summary>The addresses actually bound (port 0 resolved).</summary>
    public IReadOnlyList<string> Urls { get; }

    /// <summary>The admin created on first start, or null.</summary>
    public Bootstrap.Result? BootstrapResult { get; }

    public IServiceProvider Services => App.Services;

    /// <summary>Builds, bootstraps and starts a server; the first-start message goes to <see cref="ServerOptions.Out"/>.</summary>
    public static async Task<ServerHost> StartAsync(ServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var app = ServerApp.Build(options);
        try
        {
            // Start first: if the address is taken, no admin is created whose one-time secrets nobody would see.
            await app.StartAsync(cancellationToken);
            var bootstrap = await Bootstrap.RunAsync(app.Services.GetRequiredService<MetadataStores>(), cancellationToken);
            var urls = app.Urls.ToList();
            if (bootstrap is not null)
            {
                await options.Out.WriteLineAsync(Bootstrap.Describe(bootstrap, urls.FirstOrDefault() ?? ServerOptions.DefaultUrl,
                    options.Database is null ? "--data " + app.Services.GetRequiredService<ServerPaths>().DataDirectory : "--database ..."));
                await options.Out.FlushAsync(cancellationToken);
            }

            return new ServerHost(app, urls, bootstrap);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops accepting requests, lets running ones finish (briefly), and releases the data directory.</summary>
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await App.StopAsync(timeout.Token);
        }
        finally
        {
            await App.DisposeAsync();
        }
    }
}
