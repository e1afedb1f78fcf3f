namespace Lmvp.Store.Packs;

/// <summary>A pack being written into a repository's packs directory, published complete or not at all.</summary>
/// <remarks>The bytes go to a temporary file (tmp-*.pack, never indexed); <see cref="Publish"/> flushes it to disk, renames it
/// to its final name and makes the rename durable, so a pack with its final name is always complete.</remarks>
internal sealed class PackFile : IDisposable
{
    private readonly string _directory;
    private readonly string _tempPath;
    private readonly FileStream _stream;
    private bool _published;

    public PackFile(string directory)
    {
        _directory = directory;
        _tempPath = Path.Combine(directory, PackFormat.TempPrefix + Guid.NewGuid().ToString("N") + PackFormat.Extension);
        _stream = new FileStream(_tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0);
        // 2 MiB blocks: a commit whose disk lags holds five of them (20 MiB of pinned blocks at the default 4 MiB).
        Writer = new PackWriter(_stream, leaveOpen: true, durable: true, blockSize: 2 * 1024 * 1024);
    }

    /// <summary>Appends entries.</summary>
    public PackWriter Writer { get; }

    /// <summary>Finishes the pack, makes it durable under its final name and returns that name (no directory).</summary>
    public string Publish()
    {
        var name = Writer.Finish();
        Writer.Dispose();
        _stream.Flush(flushToDisk: true);
        _stream.Dispose();
        File.Move(_tempPath, Path.Combine(_directory, name), overwrite: true);
        FileSystemSync.FlushDirectory(_directory);
        _published = true;
        return name;
    }

    /// <summary>Abandons an unpublished pack: its temporary file is deleted.</summary>
    public void Dispose()
    {
        Writer.Dispose();
        _stream.Dispose();
        if (!_published)
        {
            _published = true;
            try
            {
                File.Delete(_tempPath);
            }
            catch (IOException)
            {
                // A leftover temporary pack is harmless: the next open of the repository removes it.
            }
        }
    }
}
