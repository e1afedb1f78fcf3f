using System.Buffers;
using System.Buffers.Binary;
using ZstdSharp;

namespace Lmvp.Store.Packs;

/// <summary>Appends entries to a new pack under a temporary name and publishes it complete, or not at all.</summary>
internal sealed class PackWriter : IDisposable
{
    private const int CompressionLevel = 1;

    private readonly string _directory;
    private readonly string _tempPath;
    private readonly FileStream _stream;
    private readonly BackgroundWriter _out;
    private readonly List<PackEntry> _entries = [];
    private readonly Compressor _compressor = new(CompressionLevel);
    private readonly byte[] _header = new byte[PackFormat.EntryHeaderSize];
    private bool _finished;

    /// <summary>Starts a new pack in <paramref name="directory"/>.</summary>
    public PackWriter(string directory)
    {
        _directory = directory;
        _tempPath = Path.Combine(directory, PackFormat.TempPrefix + Guid.NewGuid().ToString("N") + PackFormat.Extension);
        _stream = new FileStream(_tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0);
        _out = new BackgroundWriter(_stream);
        Span<byte> header = stackalloc byte[PackFormat.HeaderSize];
        PackFormat.WriteHeader(header);
        _out.Write(header);
    }

    /// <summary>The number of bytes written so far.</summary>
    public long Length => _out.Position;

    /// <summary>The entries written so far.</summary>
    public IReadOnlyList<PackEntry> Entries => _entries;

    /// <summary>Appends one entry; compresses it when <paramref name="tryCompress"/> and the result is at least 10% smaller.</summary>
    /// <returns>The entry as written, and whether compression paid.</returns>
    public (PackEntry Entry, bool Compressed) Append(EntryKind kind, ObjectId id, ReadOnlySpan<byte> raw, bool tryCompress)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        if (raw.Length > PackFormat.MaxEntrySize)
        {
            throw new ArgumentException("Entry too large for a pack.", nameof(raw));
        }

        byte[]? rented = null;
        try
        {
            var stored = raw;
            var compression = Compression.None;
            if (tryCompress && raw.Length >= 512)
            {
                rented = ArrayPool<byte>.Shared.Rent(Compressor.GetCompressBound(raw.Length));
                var written = _compressor.Wrap(raw, rented);
                if (written <= raw.Length - (raw.Length / 10))
                {
                    stored = rented.AsSpan(0, written);
                    compression = Compression.Zstd;
                }
            }

            var entry = new PackEntry(id, kind, compression, _out.Position, stored.Length, raw.Length);
            PackFormat.WriteEntryHeader(_header, kind, compression, stored.Length, raw.Length, id);
            _out.Write(_header);
            _out.Write(stored);
            _entries.Add(entry);
            return (entry, compression != Compression.None);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>A cheap test of whether zstd pays on data like <paramref name="sample"/>: compresses at most its first 8 KiB.</summary>
    /// <remarks>Costs about 1% of compressing every chunk, which matters at 1 GB/s: float weights almost never pass.</remarks>
    public bool CompressionPays(ReadOnlySpan<byte> sample)
    {
        var probe = sample[..Math.Min(sample.Length, 8192)];
        if (probe.Length < 512)
        {
            return false;
        }

        var rented = ArrayPool<byte>.Shared.Rent(Compressor.GetCompressBound(probe.Length));
        try
        {
            return _compressor.Wrap(probe, rented) <= probe.Length - (probe.Length / 10);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Copies an entry as it is stored elsewhere (gc): no recompression; the caller has verified <paramref name="stored"/>.</summary>
    /// <returns>The entry at its new offset.</returns>
    public PackEntry AppendStored(in PackEntry source, ReadOnlySpan<byte> stored)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        if (stored.Length != source.StoredLength)
        {
            throw new ArgumentException("Stored bytes must be exactly the entry's stored length.", nameof(stored));
        }

        var entry = source with { Offset = _out.Position };
        PackFormat.WriteEntryHeader(_header, entry.Kind, entry.Compression, entry.StoredLength, entry.RawLength, entry.Id);
        _out.Write(_header);
        _out.Write(stored);
        _entries.Add(entry);
        return entry;
    }

    /// <summary>Writes the trailer, flushes everything to disk and renames the pack to its final name.</summary>
    /// <returns>The final file name (no directory).</returns>
    public string Finish()
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        var trailerOffset = _out.Position;
        var trailer = new byte[_entries.Count * PackFormat.TrailerEntrySize];
        for (var i = 0; i < _entries.Count; i++)
        {
            PackFormat.WriteTrailerEntry(trailer.AsSpan(i * PackFormat.TrailerEntrySize), _entries[i]);
        }

        var trailerHash = ObjectId.Compute(trailer);
        Span<byte> footer = stackalloc byte[PackFormat.FooterSize];
        BinaryPrimitives.WriteInt64LittleEndian(footer, trailerOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(footer[8..], (uint)_entries.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(footer[12..], PackFormat.Version);
        trailerHash.CopyTo(footer[16..]);
        PackFormat.FooterMagic.CopyTo(footer[48..]);
        _out.Write(trailer);
        _out.Write(footer);
        _out.Drain();
        _out.Dispose();
        _stream.Flush(flushToDisk: true);
        _stream.Dispose();

        var name = "pack-" + trailerHash.ToString()[..32] + PackFormat.Extension;
        File.Move(_tempPath, Path.Combine(_directory, name), overwrite: true);
        FileSystemSync.FlushDirectory(_directory);
        _finished = true;
        return name;
    }

    /// <summary>Abandons an unfinished pack: its temporary file is deleted.</summary>
    public void Dispose()
    {
        _compressor.Dispose();
        _out.Dispose();
        if (!_finished)
        {
            _finished = true;
            _stream.Dispose();
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
