using System.Buffers;
using System.Buffers.Binary;
using Lmvp.Store.Codecs;

namespace Lmvp.Store.Packs;

/// <summary>Writes one pack into a stream: entries, then the trailer and footer that make it self-describing.</summary>
/// <remarks>
/// The client writes packs to a temporary file it renames once durable; lmvp-server writes them to a spool file and puts
/// that into its blob store. Bytes go to the stream from a background thread in large blocks, so the copy into the page
/// cache overlaps with the caller's hashing. Chunks arrive encoded (<see cref="Codecs.ChunkEncoder"/>); metadata objects are
/// compressed here with zstd level 1, kept only where it saves at least 10%.
/// </remarks>
public sealed class PackWriter : IDisposable
{
    private const int CompressionLevel = 1;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly BackgroundWriter _out;
    private readonly List<PackEntry> _entries = [];
    private readonly ZstdCompressor _compressor = new(CompressionLevel);
    private readonly byte[] _header = new byte[PackFormat.EntryHeaderSize];
    private bool _finished;
    private bool _disposed;

    /// <summary>Starts a pack at the current position of <paramref name="destination"/> (normally an empty file).</summary>
    /// <param name="destination">Where the pack's bytes go.</param>
    /// <param name="leaveOpen">Keep the stream open on dispose.</param>
    public PackWriter(Stream destination, bool leaveOpen = false)
        : this(destination, leaveOpen, durable: false)
    {
    }

    /// <summary>A pack writer; with <paramref name="durable"/> (a pack file the caller will fsync) its blocks go to the disk as
    /// they are written, around the page cache where the file system allows.</summary>
    internal PackWriter(Stream destination, bool leaveOpen, bool durable,
        int blockSize = BackgroundWriter.DefaultBlockSize, int blocksInFlight = BackgroundWriter.DefaultBlocksInFlight)
    {
        ArgumentNullException.ThrowIfNull(destination);
        _stream = destination;
        _leaveOpen = leaveOpen;
        _out = new BackgroundWriter(destination, durable, blockSize, blocksInFlight);
        Span<byte> header = stackalloc byte[PackFormat.HeaderSize];
        PackFormat.WriteHeader(header);
        _out.Write(header);
    }

    /// <summary>A pack writer for a spool file the caller will fsync, of which many are written at once (a server's concurrent
    /// uploads): its blocks go to the disk as they are written, around the page cache where the file system allows, and it
    /// holds 768 KiB of them (256 KiB blocks, one queued), not 20 MiB: three uploads held 4.9 MB of pinned blocks at a push's peak
    /// with 512 KiB ones (BENCHMARKS.md, issue 10).</summary>
    /// <param name="destination">The spool file, at its start.</param>
    /// <param name="leaveOpen">Keep the stream open on dispose.</param>
    public static PackWriter ForSpool(FileStream destination, bool leaveOpen = false) =>
        new(destination, leaveOpen, durable: true, blockSize: 256 * 1024, blocksInFlight: 1);

    /// <summary>The number of bytes written so far.</summary>
    public long Length => _out.Position;

    /// <summary>The entries written so far.</summary>
    public IReadOnlyList<PackEntry> Entries => _entries;

    /// <summary>Appends one entry; compresses it when <paramref name="tryCompress"/> and the result is at least 10% smaller.</summary>
    /// <returns>The entry as written.</returns>
    public PackEntry Append(ObjectKind kind, ObjectId id, ReadOnlySpan<byte> raw, bool tryCompress)
    {
        ObjectDisposedException.ThrowIf(_finished || _disposed, this);
        if (raw.Length > PackFormat.MaxEntrySize)
        {
            throw new ArgumentException("Entry too large for a pack.", nameof(raw));
        }

        byte[]? rented = null;
        try
        {
            var stored = raw;
            var encoding = ChunkEncoding.Raw;
            if (tryCompress && raw.Length >= 512)
            {
                rented = ArrayPool<byte>.Shared.Rent(ZstdCompressor.CompressBound(raw.Length));
                if (_compressor.TryCompress(raw, rented, out var written) && written <= raw.Length - (raw.Length / 10))
                {
                    stored = rented.AsSpan(0, written);
                    encoding = ChunkEncoding.Zstd;
                }
            }

            return AppendEncoded(kind, id, encoding, stored, raw.Length);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Appends an entry already in its stored form (a chunk from <see cref="Codecs.ChunkEncoder"/>, received from a
    /// peer, or copied by gc); the caller has verified that <paramref name="stored"/> decodes to bytes that hash to <paramref name="id"/>.</summary>
    /// <returns>The entry as written.</returns>
    public PackEntry AppendEncoded(ObjectKind kind, ObjectId id, ChunkEncoding encoding, ReadOnlySpan<byte> stored, int rawLength)
    {
        ObjectDisposedException.ThrowIf(_finished || _disposed, this);
        if (stored.Length > PackFormat.MaxEntrySize || rawLength < 0 || rawLength > PackFormat.MaxEntrySize
            || (encoding == ChunkEncoding.Raw && stored.Length != rawLength) || !Enum.IsDefined(encoding))
        {
            throw new ArgumentException("Entry too large for a pack, or its lengths do not fit its encoding.", nameof(stored));
        }

        var entry = new PackEntry(id, kind, encoding, _out.Position, stored.Length, rawLength);
        PackFormat.WriteEntryHeader(_header, kind, encoding, stored.Length, rawLength, id);
        _out.Write(_header);
        _out.Write(stored);
        _entries.Add(entry);
        return entry;
    }

    /// <summary>Copies an entry as it is stored elsewhere (gc): no re-encoding; the caller has verified <paramref name="stored"/>.</summary>
    /// <returns>The entry at its new offset.</returns>
    public PackEntry AppendStored(in PackEntry source, ReadOnlySpan<byte> stored)
    {
        if (stored.Length != source.StoredLength)
        {
            throw new ArgumentException("Stored bytes must be exactly the entry's stored length.", nameof(stored));
        }

        return AppendEncoded(source.Kind, source.Id, source.Encoding, stored, source.RawLength);
    }

    /// <summary>Writes the trailer and footer and flushes the stream (not to disk: durability is the caller's).</summary>
    /// <returns>The pack's name, <c>pack-&lt;trailer hash&gt;.pack</c>.</returns>
    public string Finish()
    {
        ObjectDisposedException.ThrowIf(_finished || _disposed, this);
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
        _stream.Flush();
        _finished = true;
        return PackFormat.NameFor(trailerHash);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _compressor.Dispose();
        _out.Dispose();
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }
}
