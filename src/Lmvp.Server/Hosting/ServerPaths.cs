namespace Lmvp.Server.Hosting;

/// <summary>The layout of a data directory.</summary>
/// <remarks>
/// <code>
/// server.db          users, tokens, sessions, invitations, repositories, members, refs, metadata objects, the chunk index (SQLite, WAL)
/// repos/&lt;id&gt;/packs/  pack files of chunk bytes, one directory per repository (the file-system blob store)
/// jwt.key            the key that signs session access tokens (0600)
/// tmp/               upload spool files, deleted when their request ends
/// server.lock        held while a server runs, so two servers never share a directory
/// </code>
/// </remarks>
internal sealed class ServerPaths
{
    public ServerPaths(string dataDirectory)
    {
        DataDirectory = Path.GetFullPath(dataDirectory);
    }

    public string DataDirectory { get; }

    /// <summary>The data directory of <paramref name="settings"/>, or for a server that keeps nothing locally a private directory
    /// under the system temp folder (for upload spools only).</summary>
    public static ServerPaths For(StorageSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new ServerPaths(settings.DataDirectory
            ?? Path.Combine(Path.GetTempPath(), $"lmvp-server-{Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}"));
    }

    public string Temp => Path.Combine(DataDirectory, "tmp");

    public string LockFile => Path.Combine(DataDirectory, "server.lock");

    /// <summary>Creates the directory (0700: it holds the signing key and every repository) and its temp folder.</summary>
    public void Create()
    {
        if (!Directory.Exists(DataDirectory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(DataDirectory);
            }
            else
            {
                Directory.CreateDirectory(DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        Directory.CreateDirectory(Temp);
        foreach (var stale in Directory.EnumerateFiles(Temp))
        {
            try
            {
                File.Delete(stale);
            }
            catch (IOException)
            {
                // Still open by a request of another process: it deletes it itself.
            }
        }
    }
}
