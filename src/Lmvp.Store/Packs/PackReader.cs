using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Lmvp.Store.Packs;

/// <summary>Reads entries from one pack; safe to use from several threads at once.</summary>
internal sealed class PackReader : IDisposable
{
    private readonly SafeFileHandle _handle;

    private PackReader(string path, SafeFileHandle handle)
    {
        Path = path;
        _handle = handle;
    }

    /// <summary>The pack's path.</summary>
    public string Path { get; }

    /// <summary>The pack's length in bytes.</summary>
    public long Length => RandomAccess.GetLength(_handle);

    /// <summary>Opens a pack for reading.</summary>
    public static PackReader Open(string path) =>
        new(path, File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.RandomAccess));

    /// <summary>Reads and verifies the trailer: the list of every entry in the pack.</summary>
    public IReadOnlyList<PackEntry> ReadTrailer()
    {
        var length = Length;
        var name = System.IO.Path.GetFileName(Path);
        Span<byte> footer = stackalloc byte[PackFormat.FooterSize];
        if (length >= PackFormat.FooterSize)
        {
            ReadExactly(length - PackFormat.FooterSize, footer);
        }

        var (offset, size, hash) = PackFormat.ReadFooter(footer, length, name);
        var trailer = new byte[size];
        ReadExactly(offset, trailer);
        return PackFormat.ReadTrailer(trailer, hash, offset, name);
    }

    /// <summary>Walks entries from the header without the trailer: the fallback when a trailer is damaged or missing.</summary>
    /// <remarks>Stops at the first header that does not parse; entries are not verified here.</remarks>
    public IEnumerable<PackEntry> ScanEntries()
    {
        var length = Length;
        var header = new byte[Math.Max(PackFormat.HeaderSize, PackFormat.EntryHeaderSize)];
        if (length < PackFormat.HeaderSize)
        {
            yield break;
        }

        ReadExactly(0, header.AsSpan(0, PackFormat.HeaderSize));
        if (!header.AsSpan(0, 8).SequenceEqual(PackFormat.HeaderMagic))
        {
            yield break;
        }

        long offset = PackFormat.HeaderSize;
        while (offset + PackFormat.EntryHeaderSize <= length)
        {
            PackEntry entry;
            try
            {
                ReadExactly(offset, header.AsSpan(0, PackFormat.EntryHeaderSize));
                entry = PackFormat.ReadEntryHeader(header, offset);
            }
            catch (CorruptObjectException)
            {
                yield break;
            }

            if (entry.DataOffset + entry.StoredLength > length)
            {
                yield break;
            }

            yield return entry;
            offset = entry.DataOffset + entry.StoredLength;
        }
    }

    /// <summary>Reads one entry's raw bytes into <paramref name="destination"/> and verifies them against its id.</summary>
    /// <param name="entry">Where the entry is.</param>
    /// <param name="destination">Exactly the entry's raw length.</param>
    /// <param name="verify">False only for callers that verify the bytes another way (checkout hashes the whole file).</param>
    public void ReadEntry(in PackEntry entry, Span<byte> destination, bool verify = true)
    {
        if (destination.Length != entry.RawLength)
        {
            throw new ArgumentException("Destination must be exactly the entry's raw length.", nameof(destination));
        }

        string? error;
        if (entry.Encoding == ChunkEncoding.Raw && entry.StoredLength == entry.RawLength)
        {
            ReadExactly(entry.DataOffset, destination);
            error = verify && ObjectId.Compute(destination) != entry.Id ? "is corrupt: its bytes do not hash to its id" : null;
        }
        else
        {
            var rented = ArrayPool<byte>.Shared.Rent(Math.Max(entry.StoredLength, 1));
            try
            {
                var stored = rented.AsSpan(0, entry.StoredLength);
                ReadExactly(entry.DataOffset, stored);
                error = PackFormat.DecodeEntry(entry, stored, destination, verify, null);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        if (error is not null)
        {
            throw new CorruptObjectException($"{PackFormat.Describe(entry, System.IO.Path.GetFileName(Path))} {error}.");
        }
    }

    /// <summary>Reads one entry's stored bytes (as encoded) into <paramref name="stored"/>; unless told otherwise, decodes them
    /// into <paramref name="scratch"/> (at least the raw length) and verifies them against the id first.</summary>
    public void ReadStored(in PackEntry entry, Span<byte> stored, Span<byte> scratch, bool verify = true)
    {
        if (stored.Length != entry.StoredLength)
        {
            throw new ArgumentException("Destination must be exactly the entry's stored length.", nameof(stored));
        }

        ReadExactly(entry.DataOffset, stored);
        if (verify && PackFormat.DecodeEntry(entry, stored, scratch[..entry.RawLength], verify: true, null) is { } error)
        {
            throw new CorruptObjectException($"{PackFormat.Describe(entry, System.IO.Path.GetFileName(Path))} {error}.");
        }
    }

    /// <summary>Reads raw pack bytes at <paramref name="offset"/> (fsck checks the header, footer and whole regions of entries).</summary>
    public void ReadAt(long offset, Span<byte> destination) => ReadExactly(offset, destination);

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();

    private void ReadExactly(long offset, Span<byte> destination)
    {
        var total = 0;
        while (total < destination.Length)
        {
            var read = RandomAccess.Read(_handle, destination[total..], offset + total);
            if (read == 0)
            {
                throw new CorruptObjectException($"Pack {System.IO.Path.GetFileName(Path)} ends early at offset {offset + total}.");
            }

            total += read;
        }
    }
}
