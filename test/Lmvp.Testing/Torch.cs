using System.Diagnostics;

namespace Lmvp.Testing;

/// <summary>Real torch checkpoints, written during the test by Debian's Python with python3-torch.</summary>
/// <remarks>Always <c>/usr/bin/python3</c>: the <c>python3</c> on PATH may be another Python without torch. Importing torch takes
/// seconds, so a test writes all the files it needs in one script.</remarks>
public static class Torch
{
    public const string Python = "/usr/bin/python3";

    /// <summary>Runs a Python script after <c>import torch</c> with a fixed seed; its working directory is <paramref name="directory"/>.</summary>
    public static void Run(string directory, string script)
    {
        var start = new ProcessStartInfo(Python)
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-");
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Python}.");
        process.StandardInput.Write("import torch\ntorch.manual_seed(1)\ntorch.set_num_threads(1)\n" + script);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("The torch script did not finish within 3 minutes.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"The torch script failed ({process.ExitCode}): {stderr.Result}{stdout.Result}");
        }
    }
}
