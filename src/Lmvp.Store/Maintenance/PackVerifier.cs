using System.Buffers;
using System.Buffers.Binary;
using Lmvp.Store.Codecs;
using Lmvp.Store.Objects;
using Lmvp.Store.Packs;

namespace Lmvp.Store.Maintenance;

/// <summary>The outcome of verifying one pack entry: <see cref="Error"/> is null when every byte of it checked out.</summary>
internal readonly record struct EntryCheck(PackEntry Entry, string? Error)
{
    public bool IsOk => Error is null;
}

/// <summary>Everything one pass over a pack found.</summary>
internal sealed class PackVerification
{
    public PackVerification(string name, long length)
    {
        Name = name;
        Length = length;
    }

    /// <summary>The pack's file name.</summary>
    public string Name { get; }

    /// <summary>The pack's length in bytes.</summary>
    public long Length { get; }

    /// <summary>True when the trailer verified, so <see cref="Entries"/> is the pack's own complete list.</summary>
    public bool TrailerOk { get; set; }

    /// <summary>Damage outside the entries: header, trailer, footer, gaps.</summary>
    public List<string> StructureErrors { get; } = [];

    /// <summary>Every entry found, in offset order, each with its verdict.</summary>
    public List<EntryCheck> Entries { get; } = [];

    /// <summary>True when nothing at all is wrong with the pack.</summary>
    public bool IsOk => StructureErrors.Count == 0 && Entries.TrueForAll(e => e.IsOk);
}

/// <summary>Checks every byte of a pack: header, every entry (header, decompression, hash or decoding), trailer and footer.</summary>
/// <remarks>
/// The pack is read front to back in regions of up to <see cref="RegionBytes"/>, and the entries of a region are verified on
/// all cores, so memory stays bounded by the region size whatever the pack size. A single flipped byte anywhere in a pack is
/// caught: entry bytes by their hash (manifests, whose id is the file id, by decoding and matching it), entry headers by
/// comparison with the trailer, the trailer by its hash in the footer, and header and footer fields by their fixed values.
/// (The one exception loses nothing: a flip in a zstd frame header field that leaves the entry decoding to the same bytes.)
/// When the trailer is damaged the entries are found by walking their headers from the start instead.
/// </remarks>
internal static class PackVerifier
{
    private const int RegionBytes = 16 << 20;

    /// <summary>Verifies the pack at <paramref name="path"/>.</summary>
    /// <param name="path">The pack file.</param>
    /// <param name="onObject">Called on this thread, in offset order, for every verified metadata entry with its raw bytes.</param>
    /// <param name="onBytes">Called on this thread with the number of bytes just verified.</param>
    /// <param name="cancellationToken">Stops between regions.</param>
    public static PackVerification Verify(string path, Action<PackEntry, byte[]>? onObject, Action<long>? onBytes, CancellationToken cancellationToken)
    {
        using var reader = PackReader.Open(path);
        var result = new PackVerification(Path.GetFileName(path), reader.Length);
        List<PackEntry> entries;
        try
        {
            entries = [.. reader.ReadTrailer()];
            result.TrailerOk = true;
            CheckFrame(reader, entries, result);
        }
        catch (CorruptObjectException e)
        {
            result.StructureErrors.Add(e.Message);
            entries = [.. reader.ScanEntries()];
            if (!HeaderIsValid(reader))
            {
                result.StructureErrors.Add($"Pack {result.Name} has a damaged header.");
            }
        }

        entries.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        long regions = 0;
        VerifyEntries(reader, entries, result, onObject, n =>
        {
            regions += n;
            onBytes?.Invoke(n);
        }, cancellationToken);

        // The header, trailer and footer were checked above; count them as verified too.
        onBytes?.Invoke(Math.Max(0, result.Length - regions));
        return result;
    }

    /// <summary>Verifies one entry given its header and stored bytes; returns null when good, else what is wrong.</summary>
    /// <param name="entry">The entry as the trailer (or a scan) describes it.</param>
    /// <param name="header">The <see cref="PackFormat.EntryHeaderSize"/> bytes at the entry's offset.</param>
    /// <param name="stored">The stored bytes that follow the header.</param>
    /// <param name="decompressor">A decompressor this thread may use.</param>
    /// <param name="keepRaw">Whether to return the raw bytes (metadata the caller wants).</param>
    /// <param name="raw">The raw bytes when <paramref name="keepRaw"/> and the entry is good.</param>
    public static string? VerifyEntry(in PackEntry entry, ReadOnlySpan<byte> header, ReadOnlySpan<byte> stored, ZstdDecompressor decompressor, bool keepRaw, out byte[]? raw)
    {
        raw = null;
        PackEntry fromHeader;
        try
        {
            fromHeader = PackFormat.ReadEntryHeader(header, entry.Offset);
        }
        catch (CorruptObjectException)
        {
            return "its entry header is malformed";
        }

        if (fromHeader != entry)
        {
            return "its entry header disagrees with the pack's trailer";
        }

        if (BinaryPrimitives.ReadUInt16LittleEndian(header[2..]) != 0 || BinaryPrimitives.ReadUInt32LittleEndian(header[12..]) != 0)
        {
            return "its entry header has non-zero reserved bytes";
        }

        var rented = ArrayPool<byte>.Shared.Rent(Math.Max(entry.RawLength, 1));
        try
        {
            var bytes = rented.AsSpan(0, entry.RawLength);
            if (PackFormat.DecodeEntry(entry, stored, bytes, verify: false, decompressor) is { } decodeError)
            {
                return "it " + decodeError;
            }

            var error = CheckContent(entry, bytes);
            if (error is null && keepRaw)
            {
                raw = bytes.ToArray();
            }

            return error;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static string? CheckContent(in PackEntry entry, ReadOnlySpan<byte> bytes)
    {
        try
        {
            switch (entry.Kind)
            {
                case ObjectKind.Chunk:
                    return ObjectId.Compute(bytes) == entry.Id ? null : "its bytes do not hash to its id";
                case ObjectKind.Tree:
                    Tree.Decode(bytes, entry.Id);
                    return null;
                case ObjectKind.Commit:
                    Commit.Decode(bytes, entry.Id);
                    return null;
                case ObjectKind.Manifest:
                    FileManifest.Decode(bytes, entry.Id);
                    return null;
                default:
                    return "it has an unknown kind";
            }
        }
        catch (CorruptObjectException e)
        {
            return e.Message.TrimEnd('.');
        }
    }

    private static void VerifyEntries(PackReader reader, List<PackEntry> entries, PackVerification result, Action<PackEntry, byte[]>? onObject,
        Action<long> onBytes, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(RegionBytes);
        try
        {
            var i = 0;
            while (i < entries.Count)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var start = entries[i].Offset;
                var end = entries[i].DataOffset + entries[i].StoredLength;
                var j = i + 1;
                while (j < entries.Count)
                {
                    var nextEnd = Math.Max(end, entries[j].DataOffset + entries[j].StoredLength);
                    if (nextEnd - start > RegionBytes)
                    {
                        break;
                    }

                    end = nextEnd;
                    j++;
                }

                var regionLength = (int)(end - start);
                if (buffer.Length < regionLength)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(regionLength);
                }

                var verdicts = new string?[j - i];
                var raws = new byte[]?[j - i];
                try
                {
                    reader.ReadAt(start, buffer.AsSpan(0, regionLength));
                    var region = buffer;
                    var first = i;
                    Parallel.For(i, j, new ParallelOptions { CancellationToken = cancellationToken }, () => new ZstdDecompressor(), (k, _, decompressor) =>
                    {
                        var e = entries[k];
                        var at = (int)(e.Offset - start);
                        verdicts[k - first] = VerifyEntry(e, region.AsSpan(at, PackFormat.EntryHeaderSize),
                            region.AsSpan(at + PackFormat.EntryHeaderSize, e.StoredLength), decompressor, onObject is not null && e.Kind != ObjectKind.Chunk, out raws[k - first]);
                        return decompressor;
                    }, decompressor => decompressor.Dispose());
                }
                catch (CorruptObjectException e)
                {
                    Array.Fill(verdicts, e.Message.TrimEnd('.'));
                    Array.Clear(raws);
                }

                for (var k = i; k < j; k++)
                {
                    result.Entries.Add(new EntryCheck(entries[k], verdicts[k - i]));
                    if (raws[k - i] is { } raw)
                    {
                        onObject!(entries[k], raw);
                    }
                }

                onBytes(regionLength);
                i = j;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>With a verified trailer: the header and footer hold their fixed values and the entries tile the pack without gaps.</summary>
    private static void CheckFrame(PackReader reader, List<PackEntry> entries, PackVerification result)
    {
        if (!HeaderIsValid(reader))
        {
            result.StructureErrors.Add($"Pack {result.Name} has a damaged header.");
        }

        Span<byte> footer = stackalloc byte[PackFormat.FooterSize];
        reader.ReadAt(result.Length - PackFormat.FooterSize, footer);
        if (BinaryPrimitives.ReadUInt32LittleEndian(footer[12..]) != PackFormat.Version)
        {
            result.StructureErrors.Add($"Pack {result.Name} has a footer with an unknown version.");
        }

        var trailerOffset = result.Length - PackFormat.FooterSize - ((long)entries.Count * PackFormat.TrailerEntrySize);
        long expected = PackFormat.HeaderSize;
        foreach (var e in entries.OrderBy(e => e.Offset))
        {
            if (e.Offset != expected)
            {
                result.StructureErrors.Add($"Pack {result.Name} has {(e.Offset > expected ? "a gap" : "overlapping entries")} at offset {Math.Min(e.Offset, expected)}.");
                return;
            }

            expected = e.DataOffset + e.StoredLength;
        }

        if (expected != trailerOffset)
        {
            result.StructureErrors.Add($"Pack {result.Name} has {trailerOffset - expected} unaccounted bytes before its trailer.");
        }
    }

    private static bool HeaderIsValid(PackReader reader)
    {
        if (reader.Length < PackFormat.HeaderSize)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[PackFormat.HeaderSize];
        Span<byte> expected = stackalloc byte[PackFormat.HeaderSize];
        reader.ReadAt(0, header);
        PackFormat.WriteHeader(expected);
        return header.SequenceEqual(expected);
    }
}
