namespace Lmvp.Store.WorkingTree;

/// <summary>What every checkout does to a file it has written and verified, before the file takes its name.</summary>
internal static class CheckoutFiles
{
    /// <summary>Gives a checked-out file the mode its tree entry records (rw-r--r--, or rwxr-xr-x when executable).</summary>
    public static void SetMode(string path, bool executable)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        if (executable)
        {
            mode |= UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        }

        File.SetUnixFileMode(path, mode);
    }
}
