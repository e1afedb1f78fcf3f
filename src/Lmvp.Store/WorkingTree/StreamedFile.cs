using Microsoft.Win32.SafeHandles;

namespace Lmvp.Store.WorkingTree;

/// <summary>One file a <see cref="StreamingCheckout"/> writes: where each chunk goes, which are in, and how far its hash got.</summary>
internal sealed class StreamedFile
{
    private Blake3.Hasher? _hasher;

    public StreamedFile(string path, string fullPath, TreeEntry entry, FileManifest manifest)
    {
        Path = path;
        FullPath = fullPath;
        Entry = entry;
        Manifest = manifest;
        Offsets = new long[manifest.Chunks.Count];
        long offset = 0;
        for (var i = 0; i < Offsets.Length; i++)
        {
            Offsets[i] = offset;
            offset += manifest.Chunks[i].Length;
        }

        Written = new bool[manifest.Chunks.Count];
        Remaining = manifest.Chunks.Count;
    }

    /// <summary>Slash-separated, relative to the working tree.</summary>
    public string Path { get; }

    public string FullPath { get; }

    public TreeEntry Entry { get; }

    public FileManifest Manifest { get; }

    /// <summary>Where each chunk starts in the file.</summary>
    public long[] Offsets { get; }

    /// <summary>Which chunks are written.</summary>
    public bool[] Written { get; }

    /// <summary>Chunks not yet written.</summary>
    public int Remaining { get; set; }

    /// <summary>Chunks hashed so far, all from the start of the file.</summary>
    public int Hashed { get; set; }

    /// <summary>The temporary file, once made.</summary>
    public string? Temp { get; set; }

    /// <summary>The temporary file's handle while it is open.</summary>
    public SafeFileHandle? Handle { get; set; }

    /// <summary>True once renamed into place.</summary>
    public bool Placed { get; set; }

    /// <summary>Adds the next bytes of the file to its hash (the hash state is made on first use, so files not yet begun cost none).</summary>
    public void Hash(ReadOnlySpan<byte> bytes)
    {
        _hasher ??= Blake3.Hasher.New();
        _hasher.Update(bytes);
    }

    /// <summary>The file's id: the hash of everything given to <see cref="Hash"/>.</summary>
    public ObjectId FinishHash()
    {
        Span<byte> hash = stackalloc byte[ObjectId.Size];
        (_hasher ?? throw new InvalidOperationException("Nothing was hashed.")).Finalize(hash);
        DisposeHasher();
        return new ObjectId(hash);
    }

    public void DisposeHasher()
    {
        _hasher?.Dispose();
        _hasher = null;
    }

    public void Close()
    {
        Handle?.Dispose();
        Handle = null;
    }
}
