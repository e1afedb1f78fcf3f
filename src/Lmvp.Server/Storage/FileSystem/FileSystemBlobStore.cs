using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.Win32.SafeHandles;

namespace Lmvp.Server.Storage.FileSystem;

/// <summary>Blobs as files under a directory: the embedded default.</summary>
/// <remarks>A put writes a temporary file beside the final one (a name no listing shows), flushes it to disk, renames it over
/// the final name and flushes the directory: a blob appears whole and durable, or not at all. Readers keep their file
/// open, so a replaced or deleted blob stays readable to a read already under way. Temporary files a killed process
/// left are removed at start.</remarks>
internal sealed partial class FileSystemBlobStore : IBlobStore, IDisposable
{
    private const string TempPrefix = ".put-";

    private readonly string _root;
    private readonly ConcurrentDictionary<string, Lazy<SafeFileHandle>> _handles = new(StringComparer.Ordinal);

    public FileSystemBlobStore(string root)
    {
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(_root);
        foreach (var temp in Directory.EnumerateFiles(_root, TempPrefix + "*", SearchOption.AllDirectories))
        {
            File.Delete(temp);
        }
    }

    /// <remarks>1 MiB: with 8 MiB runs the verify read of a pushed file held 8 MiB buffers on the large-object heap at the server's
    /// memory peak (BENCHMARKS.md, issue 10).</remarks>
    public int RunBytes => 1 << 20;

    public Task PutAsync(string name, Stream content, CancellationToken cancellationToken) => PutCoreAsync(name, content, durable: true, cancellationToken);

    public Task PutScratchAsync(string name, Stream content, CancellationToken cancellationToken) => PutCoreAsync(name, content, durable: false, cancellationToken);

    public async Task PutFileAsync(string name, string path, CancellationToken cancellationToken)
    {
        var target = PathOf(name);
        var directory = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(directory);
        using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.FlushToDisk(handle);
        }

        try
        {
            // A rename within one file system: the spool's bytes are not written a second time.
            File.Move(path, target, overwrite: true);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another file system (a spool directory elsewhere): copy it, then let it go.
            await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous))
            {
                await PutCoreAsync(name, file, durable: true, cancellationToken).ConfigureAwait(false);
            }

            File.Delete(path);
            return;
        }

        Lmvp.Store.Packs.FileSystemSync.FlushDirectory(directory);
        Forget(name);
    }

    private async Task PutCoreAsync(string name, Stream content, bool durable, CancellationToken cancellationToken)
    {
        var path = PathOf(name);
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, TempPrefix + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous))
            {
                await content.CopyToAsync(file, 1 << 20, cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (durable)
                {
                    file.Flush(flushToDisk: true);
                }
            }

            File.Move(temp, path, overwrite: true);
            if (durable)
            {
                Lmvp.Store.Packs.FileSystemSync.FlushDirectory(directory);
            }
        }
        catch
        {
            TryDelete(temp);
            throw;
        }

        Forget(name);
    }

    public async Task<int> ReadAsync(string name, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        try
        {
            return await RandomAccess.ReadAsync(Open(name), destination, offset, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The blob was replaced or deleted between taking its handle and reading: read what is there now.
            return await RandomAccess.ReadAsync(Open(name), destination, offset, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task<long?> GetLengthAsync(string name, CancellationToken cancellationToken)
    {
        var info = new FileInfo(PathOf(name));
        return Task.FromResult(info.Exists ? info.Length : (long?)null);
    }

    public async IAsyncEnumerable<BlobInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        var blobs = new List<BlobInfo>();
        var slash = prefix.LastIndexOf('/');
        var start = slash < 0 ? _root : Path.Combine(_root, prefix[..slash].Replace('/', Path.DirectorySeparatorChar));
        foreach (var path in Directory.Exists(start) ? Directory.EnumerateFiles(start, "*", SearchOption.AllDirectories) : [])
        {
            var name = Path.GetRelativePath(_root, path).Replace(Path.DirectorySeparatorChar, '/');
            if (name.StartsWith(prefix, StringComparison.Ordinal) && !Path.GetFileName(path).StartsWith(TempPrefix, StringComparison.Ordinal) && IsValidName(name))
            {
                blobs.Add(new BlobInfo(name, new FileInfo(path).Length));
            }
        }

        blobs.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        foreach (var blob in blobs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return blob;
        }
    }

    public Task<bool> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var path = PathOf(name);
        Forget(name);
        if (!File.Exists(path))
        {
            return Task.FromResult(false);
        }

        File.Delete(path);
        return Task.FromResult(true);
    }

    public void Dispose()
    {
        foreach (var handle in _handles.Values)
        {
            if (handle.IsValueCreated)
            {
                handle.Value.Dispose();
            }
        }

        _handles.Clear();
    }

    /// <summary>True for a name of [A-Za-z0-9._-] segments joined by '/', none starting with '.'.</summary>
    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    private SafeFileHandle Open(string name)
    {
        var lazy = _handles.GetOrAdd(name, n => new Lazy<SafeFileHandle>(() =>
        {
            try
            {
                return File.OpenHandle(PathOf(n), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous | FileOptions.RandomAccess);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new BlobNotFoundException($"Blob {n} not found.", e);
            }
        }));
        try
        {
            return lazy.Value;
        }
        catch (BlobNotFoundException)
        {
            _handles.TryRemove(new KeyValuePair<string, Lazy<SafeFileHandle>>(name, lazy));
            throw;
        }
    }

    private void Forget(string name)
    {
        if (_handles.TryRemove(name, out var old) && old.IsValueCreated)
        {
            // A read already under way holds a reference: the file closes when it finishes.
            old.Value.Dispose();
        }
    }

    private string PathOf(string name)
    {
        if (!IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid blob name.", nameof(name));
        }

        return Path.Combine(_root, name.Replace('/', Path.DirectorySeparatorChar));
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
