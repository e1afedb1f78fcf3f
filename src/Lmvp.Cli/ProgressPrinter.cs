using System.Diagnostics;
using Lmvp.Store;

namespace Lmvp.Cli;

/// <summary>Draws "operation: done / total, MB/s, ETA" on one terminal line, at most ten times a second.</summary>
internal sealed class ProgressPrinter : IProgress<ProgressInfo>
{
    private readonly TextWriter _error;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastDraw = -1000;
    private bool _drawn;

    public ProgressPrinter(TextWriter error)
    {
        _error = error;
    }

    public void Report(ProgressInfo value)
    {
        var now = _clock.ElapsedMilliseconds;
        var finished = value.Total > 0 && value.Done >= value.Total;
        if (!finished && now - _lastDraw < 100)
        {
            return;
        }

        _lastDraw = now;
        var seconds = Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
        var rate = value.Done / seconds;
        var eta = rate > 0 && value.Total > value.Done ? TimeSpan.FromSeconds((value.Total - value.Done) / rate) : TimeSpan.Zero;
        var percent = value.Total > 0 ? 100.0 * value.Done / value.Total : 100.0;
        _error.Write($"\r{value.Operation}: {percent,3:F0}% ({Format.Bytes(value.Done)} / {Format.Bytes(value.Total)}), {rate / 1e6:F0} MB/s, ETA {eta:mm\\:ss}   ");
        _drawn = true;
        if (finished)
        {
            Done();
        }
    }

    /// <summary>Ends the progress line.</summary>
    public void Done()
    {
        if (_drawn)
        {
            _error.WriteLine();
            _drawn = false;
        }
    }
}
