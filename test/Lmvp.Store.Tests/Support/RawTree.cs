using Lmvp.Store.Objects;

namespace Lmvp.Store.Tests.Support;

/// <summary>One tree entry as raw fields, written without any validation: what a hostile or broken peer could send.</summary>
internal sealed record RawTreeEntry(byte[] Name, byte Kind, byte Executable, ulong Size, ObjectId Id, byte[]? Target = null)
{
    public static RawTreeEntry File(string name, ObjectId id, long size) =>
        new(System.Text.Encoding.UTF8.GetBytes(name), (byte)TreeEntryKind.File, 0, (ulong)size, id);

    public static RawTreeEntry Directory(string name, ObjectId treeId) =>
        new(System.Text.Encoding.UTF8.GetBytes(name), (byte)TreeEntryKind.Directory, 0, 0, treeId);
}

/// <summary>Encodes trees field by field with <see cref="CanonicalWriter"/>, in the given order, with no checks.</summary>
internal static class RawTree
{
    public static byte[] Encode(IReadOnlyList<RawTreeEntry> entries, ulong? count = null, string magic = "LTRE", byte version = 1, byte[]? trailing = null)
    {
        var writer = new CanonicalWriter();
        writer.WriteMagic(System.Text.Encoding.ASCII.GetBytes(magic), version);
        writer.WriteVarUInt(count ?? (ulong)entries.Count);
        foreach (var e in entries)
        {
            WriteBytes(writer, e.Name);
            writer.WriteByte(e.Kind);
            writer.WriteByte(e.Executable);
            writer.WriteUInt64(e.Size);
            writer.WriteId(e.Id);
            if (e.Target is not null)
            {
                WriteBytes(writer, e.Target);
            }
        }

        foreach (var b in trailing ?? [])
        {
            writer.WriteByte(b);
        }

        return writer.ToArray();
    }

    /// <summary>A length-prefixed byte string, which may hold invalid UTF-8.</summary>
    public static void WriteBytes(CanonicalWriter writer, byte[] bytes)
    {
        writer.WriteVarUInt((ulong)bytes.Length);
        foreach (var b in bytes)
        {
            writer.WriteByte(b);
        }
    }
}
