namespace Lmvp.Testing;

/// <summary>A fresh directory under the system temp folder, deleted on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string? prefix = null, string? baseDirectory = null)
    {
        Path = System.IO.Path.Combine(baseDirectory ?? System.IO.Path.GetTempPath(), $"lmvp-{prefix ?? "test"}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    /// <summary>A tmpfs to put tests that create and delete many files on, so they measure LMVP rather than the disk's
    /// journal; null where there is none (then the system temp folder is used).</summary>
    public static string? MemoryBacked { get; } = Directory.Exists("/dev/shm") ? "/dev/shm" : null;

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Writes a file (creating its directories) and sets its mtime in the past so the stat cache may keep it.</summary>
    public string WriteFile(string relativePath, byte[] content, bool ageIt = true)
    {
        var full = Combine(relativePath.Split('/'));
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, content);
        if (ageIt)
        {
            File.SetLastWriteTimeUtc(full, DateTime.UtcNow.AddMinutes(-10));
        }

        return full;
    }

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Path))
            {
                Directory.Delete(Path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
