using System.Buffers.Binary;
using System.IO.Compression;
using Lmvp.Store.Codecs;

namespace Lmvp.Store.Formats;

/// <summary>A checkpoint written by <c>torch.save</c> (a zip: <c>ARCHIVE/data.pkl</c> describes the object, each tensor storage
/// is an uncompressed entry <c>ARCHIVE/data/KEY</c>, aligned to 64 bytes). Storage offsets come from the zip's central directory
/// and local headers; tensor names, dtypes and shapes from the pickle, read by <see cref="PickleReader"/> without running it.</summary>
internal static class TorchZipReader
{
    private const uint LocalHeader = 0x04034b50;
    private const uint CentralHeader = 0x02014b50;
    private const uint EndOfDirectory = 0x06054b50;
    private const uint Zip64Locator = 0x07064b50;
    private const uint Zip64End = 0x06064b50;
    private const int MaxDirectory = 64 << 20;
    private const int MaxPickle = 64 << 20;
    private const int MaxWalk = 10_000_000;

    public static bool Sniff(ReadOnlySpan<byte> first) => first.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(first) == LocalHeader;

    public static async ValueTask<TensorLayout> ReadAsync(IRangeSource source, CancellationToken cancellationToken)
    {
        var entries = await ReadDirectoryAsync(source, cancellationToken).ConfigureAwait(false);
        var pickle = entries.FirstOrDefault(e => e.Name == "data.pkl" || e.Name.EndsWith("/data.pkl", StringComparison.Ordinal))
            ?? throw new LayoutException("a zip without data.pkl is not a torch checkpoint.");
        var prefix = pickle.Name[..^"data.pkl".Length];
        var builder = new LayoutBuilder("pytorch", source.Length);
        var storages = new Dictionary<string, (long Offset, long Size)>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            var offset = await DataOffsetAsync(source, e, cancellationToken).ConfigureAwait(false);
            builder.AddHeaderEnd(offset);
            builder.AddHeaderEnd(offset + e.CompressedSize);
            if (e.Method == 0 && e.Name.StartsWith(prefix + "data/", StringComparison.Ordinal))
            {
                storages[e.Name[(prefix.Length + 5)..]] = (offset, e.CompressedSize);
            }
        }

        var pickleBytes = await ReadEntryAsync(source, pickle, cancellationToken).ConfigureAwait(false);
        var root = PickleReader.Read(pickleBytes);
        var kinds = new Dictionary<string, ElementKind>(StringComparer.Ordinal);
        var walk = new Walk(builder, storages, kinds);
        walk.Visit(root, "", 0);
        foreach (var (key, (offset, size)) in storages)
        {
            builder.AddRegion(offset, size, kinds.TryGetValue(key, out var kind) ? kind : ElementKind.Unknown);
        }

        return builder.Build();
    }

    private sealed record ZipEntry(string Name, int Method, long CompressedSize, long UncompressedSize, long LocalOffset);

    private static async ValueTask<List<ZipEntry>> ReadDirectoryAsync(IRangeSource source, CancellationToken cancellationToken)
    {
        var tailLength = (int)Math.Min(source.Length, 22 + 65535);
        var tail = new byte[tailLength];
        await source.ReadAsync(source.Length - tailLength, tail, cancellationToken).ConfigureAwait(false);
        var at = -1;
        for (var i = tailLength - 22; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i)) == EndOfDirectory)
            {
                at = i;
                break;
            }
        }

        if (at < 0)
        {
            throw new LayoutException("no zip end-of-directory record.");
        }

        var eocd = new HeaderReader(tail.AsSpan(at + 4));
        eocd.Take(6);
        long count = eocd.U16();
        long size = eocd.U32();
        long offset = eocd.U32();
        if (count == 0xFFFF || size == 0xFFFFFFFF || offset == 0xFFFFFFFF)
        {
            var locatorAt = source.Length - tailLength + at - 20;
            var locator = new byte[20];
            await source.ReadAsync(locatorAt, locator, cancellationToken).ConfigureAwait(false);
            if (BinaryPrimitives.ReadUInt32LittleEndian(locator) != Zip64Locator)
            {
                throw new LayoutException("a zip64 archive without its locator.");
            }

            var record = new byte[56];
            await source.ReadAsync(Offset(BinaryPrimitives.ReadUInt64LittleEndian(locator.AsSpan(8))), record, cancellationToken).ConfigureAwait(false);
            var z = new HeaderReader(record);
            if (z.U32() != Zip64End)
            {
                throw new LayoutException("a broken zip64 end-of-directory record.");
            }

            z.Take(28);
            count = Offset(z.U64());
            size = Offset(z.U64());
            offset = Offset(z.U64());
        }

        if (size > MaxDirectory || offset > source.Length - size || count > size / 46)
        {
            throw new LayoutException("a zip directory that does not fit the file.");
        }

        var directory = new byte[size];
        await source.ReadAsync(offset, directory, cancellationToken).ConfigureAwait(false);
        var r = new HeaderReader(directory);
        var entries = new List<ZipEntry>((int)count);
        for (long i = 0; i < count; i++)
        {
            if (r.U32() != CentralHeader)
            {
                throw new LayoutException("a damaged zip directory entry.");
            }

            r.Take(6);
            int method = r.U16();
            r.Take(8);
            long compressed = r.U32();
            long uncompressed = r.U32();
            int nameLength = r.U16();
            int extraLength = r.U16();
            int commentLength = r.U16();
            r.Take(8);
            long local = r.U32();
            var name = HeaderReader.Utf8(r.Take(nameLength));
            var extra = new HeaderReader(r.Take(extraLength));
            r.Take(commentLength);
            while (extra.Remaining >= 4)
            {
                var id = extra.U16();
                var field = new HeaderReader(extra.Take(extra.U16()));
                if (id != 1)
                {
                    continue;
                }

                // The zip64 field holds, in order, only the values that did not fit their 32-bit slots.
                if (uncompressed == 0xFFFFFFFF)
                {
                    uncompressed = Offset(field.U64());
                }

                if (compressed == 0xFFFFFFFF)
                {
                    compressed = Offset(field.U64());
                }

                if (local == 0xFFFFFFFF)
                {
                    local = Offset(field.U64());
                }
            }

            if (local > source.Length || compressed > source.Length - local)
            {
                throw new LayoutException($"zip entry {name} lies outside the file.");
            }

            entries.Add(new ZipEntry(name, method, compressed, uncompressed, local));
        }

        return entries;
    }

    private static async ValueTask<long> DataOffsetAsync(IRangeSource source, ZipEntry entry, CancellationToken cancellationToken)
    {
        var header = new byte[30];
        await source.ReadAsync(entry.LocalOffset, header, cancellationToken).ConfigureAwait(false);
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != LocalHeader)
        {
            throw new LayoutException($"zip entry {entry.Name} has no local header where the directory says.");
        }

        var offset = entry.LocalOffset + 30 + BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(26)) + BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(28));
        if (offset > source.Length - entry.CompressedSize)
        {
            throw new LayoutException($"zip entry {entry.Name} runs past the end of the file.");
        }

        return offset;
    }

    private static async ValueTask<byte[]> ReadEntryAsync(IRangeSource source, ZipEntry entry, CancellationToken cancellationToken)
    {
        if (entry.CompressedSize > MaxPickle || entry.UncompressedSize > MaxPickle)
        {
            throw new LayoutException($"{entry.Name} is larger than {MaxPickle >> 20} MiB.");
        }

        var stored = new byte[entry.CompressedSize];
        await source.ReadAsync(await DataOffsetAsync(source, entry, cancellationToken).ConfigureAwait(false), stored, cancellationToken).ConfigureAwait(false);
        switch (entry.Method)
        {
            case 0:
                return stored;
            case 8:
                // Deflated (an archive re-zipped by another tool): inflated into exactly its declared size, never more.
                var raw = new byte[entry.UncompressedSize];
                using (var inflate = new DeflateStream(new MemoryStream(stored), CompressionMode.Decompress))
                {
                    var total = 0;
                    int n;
                    while (total < raw.Length && (n = inflate.Read(raw, total, raw.Length - total)) > 0)
                    {
                        total += n;
                    }

                    if (total != raw.Length || inflate.ReadByte() >= 0)
                    {
                        throw new LayoutException($"{entry.Name} does not inflate to its declared size.");
                    }
                }

                return raw;
            default:
                throw new LayoutException($"{entry.Name} uses zip method {entry.Method}.");
        }
    }

    private static long Offset(ulong value) => value <= long.MaxValue ? (long)value : throw new LayoutException($"a zip offset of {value}.");

    /// <summary>Finds the tensors of an unpickled object: dicts and lists give their keys and indices as name parts.</summary>
    private sealed class Walk(LayoutBuilder builder, Dictionary<string, (long Offset, long Size)> storages, Dictionary<string, ElementKind> kinds)
    {
        private const int MaxDepth = 64;
        private readonly HashSet<PickleValue> _visited = new(ReferenceEqualityComparer.Instance);
        private int _steps;

        public void Visit(PickleValue value, string name, int depth)
        {
            if (depth > MaxDepth || ++_steps > MaxWalk || !_visited.Add(value))
            {
                return; // too deep, too much, or a value already seen (shared or cyclic): nothing new there
            }

            switch (value)
            {
                case PickleDict dict:
                    foreach (var (key, item) in dict.Items)
                    {
                        Visit(item, Join(name, Key(key)), depth + 1);
                    }

                    break;
                case PickleList list:
                    for (var i = 0; i < list.Items.Count; i++)
                    {
                        Visit(list.Items[i], Join(name, i.ToString(System.Globalization.CultureInfo.InvariantCulture)), depth + 1);
                    }

                    break;
                case PickleTuple tuple:
                    for (var i = 0; i < tuple.Items.Length; i++)
                    {
                        Visit(tuple.Items[i], Join(name, i.ToString(System.Globalization.CultureInfo.InvariantCulture)), depth + 1);
                    }

                    break;
                case PickleCall call when call.Callable is PickleGlobal g && g.Is("torch._utils", "_rebuild_tensor_v2"):
                    AddTensor(call.Arguments, name);
                    break;
            }
        }

        private static string Join(string name, string part) => name.Length == 0 ? part : name + "." + part;

        private static string Key(PickleValue key) => key switch
        {
            PickleScalar { Value: string s } => s,
            PickleScalar { Value: long n } => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => "?",
        };

        /// <summary>_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]), where
        /// storage is the persistent id ('storage', torch.XStorage, key, location, numel).</summary>
        private void AddTensor(PickleValue arguments, string name)
        {
            if (arguments is not PickleTuple { Items.Length: >= 4 } args
                || args.Items[0] is not PicklePersistent { Id: PickleTuple { Items.Length: >= 3 } pid }
                || pid.Items[1] is not PickleGlobal storageType
                || pid.Items[2] is not PickleScalar { Value: string key }
                || args.Items[1] is not PickleScalar { Value: long storageOffset }
                || Integers(args.Items[2]) is not { } shape
                || DType.FromTorchStorage(storageType.Name) is not { } dtype
                || !storages.TryGetValue(key, out var storage))
            {
                return; // not a tensor this reader understands; its storage is still cut as a region
            }

            kinds[key] = dtype.Kind;
            if (Shapes.Bytes(shape, dtype.Size) is not { } length || storageOffset < 0 || storageOffset > storage.Size / dtype.Size
                || length > storage.Size - (storageOffset * dtype.Size))
            {
                throw new LayoutException($"tensor {name} does not fit its storage.");
            }

            builder.AddTensor(name, dtype.Name, shape, storage.Offset + (storageOffset * dtype.Size), length);
        }

        private static long[]? Integers(PickleValue value)
        {
            if (value is not PickleTuple { Items.Length: <= 64 } tuple)
            {
                return null;
            }

            var result = new long[tuple.Items.Length];
            for (var i = 0; i < result.Length; i++)
            {
                if (tuple.Items[i] is not PickleScalar { Value: long n } || n < 0)
                {
                    return null;
                }

                result[i] = n;
            }

            return result;
        }
    }
}
