using System.Globalization;

namespace Lmvp.Store.Tests.Support;

/// <summary>Bytes this process has read through read(2)-like calls (files, pipes, sockets), from /proc/self/io.</summary>
/// <remarks>Process-wide, so it still sees reads a pipeline makes on worker threads; tests using it are non-parallel.</remarks>
public static class ProcessIo
{
    public static bool IsAvailable => File.Exists("/proc/self/io");

    public static long BytesRead()
    {
        foreach (var line in File.ReadLines("/proc/self/io"))
        {
            if (line.StartsWith("rchar:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim(), CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("No rchar line in /proc/self/io.");
    }
}
