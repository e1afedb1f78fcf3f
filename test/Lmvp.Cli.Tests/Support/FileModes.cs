namespace Lmvp.Cli.Tests.Support;

/// <summary>The executable bit, which only Unix file systems have: tests that need it are ignored elsewhere.</summary>
public static class FileModes
{
    public static void MakeExecutable(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("no executable bit on Windows");
            return;
        }

        File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
    }

    public static bool IsExecutable(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("no executable bit on Windows");
            return false;
        }

        return File.GetUnixFileMode(path).HasFlag(UnixFileMode.UserExecute);
    }
}
