using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lmvp.Bench.Scenarios;

internal static partial class SyncScenarios
{
    /// <summary>The plain HTTP PUT peer of a push (issue 10): <c>curl -T FILE</c> to a tiny Kestrel sink in this process, twice:
    /// to a route that drops the body (the wire alone, like the 885-1024 MB/s figure) and to one that writes it to a file
    /// and fsyncs it (what a durable upload costs at the least). Returns the drop-route run's seconds.</summary>
    private static double PlainPut(ScenarioContext context, string file, string label)
    {
        var size = new FileInfo(file).Length;
        var sinkDirectory = Path.Combine(context.Directory, "put-sink");
        Directory.CreateDirectory(sinkDirectory);
        using var sink = PlainHttpSink.Start(sinkDirectory);
        var curl = new CliRunner("/usr/bin/curl");
        ProcessStats.SyncDisks();
        var drop = curl.Run(context.Directory, "-sSf", "-o", "/dev/null", "-T", file, sink.Url + "/drop").EnsureSuccess("curl PUT");
        context.Add($"plain HTTP PUT of the {label} file with curl -T to a sink that drops it (peer, same run)", ScenarioContext.MBps(size, drop.Elapsed), "MB/s",
            note: string.Create(CultureInfo.InvariantCulture, $"{drop.Elapsed.TotalSeconds:0.000} s; a Kestrel sink in the bench process, body read and discarded"));
        ProcessStats.SyncDisks();
        var durable = curl.Run(context.Directory, "-sSf", "-o", "/dev/null", "-T", file, sink.Url + "/file").EnsureSuccess("curl PUT");
        context.Add($"plain HTTP PUT of the {label} file with curl -T to a sink that writes and fsyncs it (peer, same run)", ScenarioContext.MBps(size, durable.Elapsed), "MB/s",
            note: string.Create(CultureInfo.InvariantCulture, $"{durable.Elapsed.TotalSeconds:0.000} s; the body written to a new file, fsync, answered after"));
        Directory.Delete(sinkDirectory, recursive: true);
        return drop.Elapsed.TotalSeconds;
    }

    /// <summary>A plain HTTP server that accepts PUT bodies: /drop reads and discards them, /file writes each to a new file and
    /// fsyncs it before answering.</summary>
    private sealed class PlainHttpSink : IDisposable
    {
        private readonly WebApplication _app;

        private PlainHttpSink(WebApplication app, string url)
        {
            _app = app;
            Url = url;
        }

        public string Url { get; }

        public static PlainHttpSink Start(string directory)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
            var app = builder.Build();
            app.MapPut("/drop", async (HttpRequest request) =>
            {
                var buffer = new byte[1 << 20];
                while (await request.Body.ReadAsync(buffer) > 0)
                {
                }

                return TypedResults.Ok();
            });
            app.MapPut("/file", async (HttpRequest request) =>
            {
                var path = Path.Combine(directory, "put-" + Guid.NewGuid().ToString("N"));
                await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous))
                {
                    await request.Body.CopyToAsync(file, 1 << 20);
                    await file.FlushAsync();
                    file.Flush(flushToDisk: true);
                }

                return TypedResults.Ok();
            });
            app.StartAsync().GetAwaiter().GetResult();
            var address = app.Urls.First();
            return new PlainHttpSink(app, address);
        }

        public void Dispose()
        {
            _app.StopAsync().GetAwaiter().GetResult();
            ((IDisposable)_app).Dispose();
        }
    }
}
