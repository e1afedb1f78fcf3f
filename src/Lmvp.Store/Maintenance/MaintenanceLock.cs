namespace Lmvp.Store.Maintenance;

/// <summary>An exclusive lock on <c>.lmvp/maintenance.lock</c>, so two gc runs or index rebuilds never work on the same packs at once.</summary>
/// <remarks>The lock is the open file itself (an exclusive share mode; flock on Unix), so a killed process never leaves it held.</remarks>
internal sealed class MaintenanceLock : IDisposable
{
    private const string FileName = "maintenance.lock";

    private readonly FileStream _stream;

    private MaintenanceLock(FileStream stream)
    {
        _stream = stream;
    }

    /// <summary>Takes the lock or fails at once with a message naming <paramref name="operation"/>.</summary>
    public static MaintenanceLock Acquire(string repositoryDirectory, string operation)
    {
        try
        {
            return new MaintenanceLock(new FileStream(Path.Combine(repositoryDirectory, FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new RepositoryLockedException($"Cannot {operation}: another lmvp process is running gc or an index rebuild in this repository.", e);
        }
    }

    /// <summary>Takes the lock shared (commits and fetches, which may run side by side but never beside gc), or fails at once.</summary>
    public static MaintenanceLock AcquireShared(string repositoryDirectory, string operation)
    {
        try
        {
            // On Unix .NET maps FileShare.ReadWrite to a shared flock, FileShare.None to an exclusive one.
            return new MaintenanceLock(new FileStream(Path.Combine(repositoryDirectory, FileName), FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite));
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new RepositoryLockedException($"Cannot {operation}: another lmvp process is running gc or an index rebuild in this repository; try again when it ends.", e);
        }
    }

    /// <summary>True when another open file holds <paramref name="path"/> (a pack a running writer still has open).</summary>
    public static bool IsInUse(string path)
    {
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return false;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();
}
