using Lmvp.Web.Tests.Support;

namespace Lmvp.Web.Tests.Pages;

/// <summary>Starts the server world and one browser for the whole assembly; the tests share them and run one at a time.</summary>
[SetUpFixture]
internal sealed class WebSetUp
{
    private static WebWorld? _world;
    private static Browser? _browser;

    public static WebWorld World => _world ?? throw new InvalidOperationException("The web world is not set up.");

    public static Browser Browser => _browser ??= Browser.Start(World.BaseUrl);

    [OneTimeSetUp]
    public async Task StartAsync() => _world = await WebWorld.CreateAsync();

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _browser?.Dispose();
        _browser = null;
        if (_world is not null)
        {
            await _world.DisposeAsync();
            _world = null;
        }
    }
}
