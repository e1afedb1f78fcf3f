using Lmvp.Store.Objects;

namespace Lmvp.Store;

/// <summary>A directory listing: entries sorted by the ordinal order of their names.</summary>
public sealed class Tree
{
    /// <summary>The most entries one tree may hold.</summary>
    public const int MaxEntries = 1_000_000;

    /// <summary>The longest slash-separated path, in UTF-8 bytes, that nested trees may lead to (Linux's PATH_MAX).</summary>
    internal const int MaxPathBytes = 4096;

    private static ReadOnlySpan<byte> Magic => "LTRE"u8;
    private const byte Version = 1;
    private const int MaxNameBytes = 1024;
    private const int MaxTargetBytes = 4096;

    private Tree(ObjectId id, IReadOnlyList<TreeEntry> entries, byte[] encoded)
    {
        Id = id;
        Entries = entries;
        Encoded = encoded;
    }

    /// <summary>The tree's id: BLAKE3 of its canonical encoding.</summary>
    public ObjectId Id { get; }

    /// <summary>The entries in name order.</summary>
    public IReadOnlyList<TreeEntry> Entries { get; }

    internal byte[] Encoded { get; }

    /// <summary>A copy of the canonical encoding, as packs and the wire carry it; its BLAKE3 is the id.</summary>
    public byte[] Encode() => (byte[])Encoded.Clone();

    /// <summary>The entry named <paramref name="name"/>, or null (a binary search: entries are in ordinal name order).</summary>
    public TreeEntry? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        int lo = 0, hi = Entries.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = string.CompareOrdinal(Entries[mid].Name, name);
            if (c == 0)
            {
                return Entries[mid];
            }

            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return null;
    }

    /// <summary>Builds a tree from entries in any order; rejects invalid or duplicate names.</summary>
    public static Tree Create(IEnumerable<TreeEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var sorted = entries.OrderBy(e => e.Name, StringComparer.Ordinal).ToArray();
        if (sorted.Length > MaxEntries)
        {
            // Decode refuses more, so a larger tree would be stored but unreadable.
            throw new ArgumentException($"A directory may hold at most {MaxEntries} entries, not {sorted.Length}.", nameof(entries));
        }

        var writer = new CanonicalWriter();
        writer.WriteMagic(Magic, Version);
        writer.WriteVarUInt((ulong)sorted.Length);
        string? previous = null;
        foreach (var e in sorted)
        {
            if (!IsValidName(e.Name))
            {
                throw new ArgumentException($"Invalid name in tree: '{e.Name}'.", nameof(entries));
            }

            if (previous is not null && string.CompareOrdinal(previous, e.Name) == 0)
            {
                throw new ArgumentException($"Duplicate name in tree: '{e.Name}'.", nameof(entries));
            }

            previous = e.Name;
            writer.WriteString(e.Name);
            writer.WriteByte((byte)e.Kind);
            writer.WriteByte(e.IsExecutable ? (byte)1 : (byte)0);
            writer.WriteUInt64((ulong)e.Size);
            writer.WriteId(e.Id);
            if (e.Kind == TreeEntryKind.Symlink)
            {
                var target = e.LinkTarget ?? throw new ArgumentException("A symlink entry needs a target.", nameof(entries));
                if (!IsValidLinkTarget(target))
                {
                    throw new ArgumentException($"Symlink '{e.Name}' needs a non-empty target without NUL.", nameof(entries));
                }

                if (System.Text.Encoding.UTF8.GetByteCount(target) > MaxTargetBytes)
                {
                    throw new ArgumentException($"The target of symlink '{e.Name}' is longer than {MaxTargetBytes} bytes.", nameof(entries));
                }

                writer.WriteString(target);
            }
        }

        var encoded = writer.ToArray();
        return new Tree(ObjectId.Compute(encoded), sorted, encoded);
    }

    /// <summary>Decodes a tree and checks it hashes to <paramref name="expectedId"/>; malformed bytes throw <see cref="CorruptObjectException"/>.</summary>
    public static Tree Decode(ReadOnlySpan<byte> data, ObjectId expectedId)
    {
        var id = ObjectId.Compute(data);
        if (id != expectedId)
        {
            throw new CorruptObjectException($"Tree {expectedId.ToShortString()} is corrupt: its bytes hash to {id.ToShortString()}.");
        }

        var reader = new CanonicalReader(data, $"tree {expectedId.ToShortString()}");
        reader.ReadMagic(Magic, Version);
        var count = reader.ReadCount(MaxEntries);
        var entries = new TreeEntry[count];
        string? previous = null;
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadString(MaxNameBytes);
            if (!IsValidName(name))
            {
                throw reader.Fail($"unsafe entry name '{CanonicalReader.Printable(name)}'");
            }

            if (previous is not null && string.CompareOrdinal(previous, name) >= 0)
            {
                throw reader.Fail("entries out of order or duplicated");
            }

            previous = name;
            var kind = (TreeEntryKind)reader.ReadByte();
            var exec = reader.ReadByte();
            var size = reader.ReadUInt64();
            var entryId = reader.ReadId();
            if (!Enum.IsDefined(kind) || exec > 1 || size > long.MaxValue)
            {
                throw reader.Fail($"bad fields for entry '{CanonicalReader.Printable(name)}'");
            }

            string? target = null;
            if (kind == TreeEntryKind.Symlink)
            {
                target = reader.ReadString(MaxTargetBytes);
                if (!IsValidLinkTarget(target))
                {
                    throw reader.Fail($"symlink '{CanonicalReader.Printable(name)}' has an empty target or one holding NUL");
                }
            }

            entries[i] = new TreeEntry(name, kind, exec == 1, (long)size, entryId, target);
        }

        reader.ExpectEnd();
        return new Tree(id, entries, data.ToArray());
    }

    /// <summary>No file system can hold a symlink whose target is empty or holds NUL.</summary>
    private static bool IsValidLinkTarget(string target) => target.Length > 0 && !target.Contains('\0', StringComparison.Ordinal);

    /// <summary>True for a name that is safe as one path component on checkout.</summary>
    public static bool IsValidName(string name) =>
        !string.IsNullOrEmpty(name) && name != "." && name != ".." && System.Text.Encoding.UTF8.GetByteCount(name) <= MaxNameBytes
        && name.IndexOfAny(['/', '\0', '\\']) < 0;
}
