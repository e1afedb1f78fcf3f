using Lmvp.Store.Objects;

namespace Lmvp.Store;

public sealed partial class Commit
{
    // The canonical encoding (integers little-endian, counts LEB128, strings LEB128 length + UTF-8):
    //   "LCMT" version(1 byte)
    //   tree id(32) | parent count, parent ids(32 each) | author | time (int64 Unix ms) | message
    //   metric count, then per metric in ordinal name order: name, value (IEEE-754 double bits; NaN only as 0x7FF8000000000000)
    //   provenance flag 0 | 1, then git commit, branch ("" = detached), dirty (0 | 1), origin URL ("" = none)
    //     version 2 only: dirty file count, then each path in ordinal order (only when dirty)
    //   version 2 only: param count, then per param in ordinal name order: name, kind (0 number | 1 string), double bits | string
    // Version 1 cannot hold params, non-finite metrics or dirty file names; a commit with none of them is always version 1,
    // and a version-2 encoding without any of them is malformed, so every commit has exactly one encoding.
    private static ReadOnlySpan<byte> Magic => "LCMT"u8;
    private const byte Version1 = 1;
    private const byte Version2 = 2;
    private const byte ParamNumber = 0;
    private const byte ParamString = 1;

    private static bool NeedsVersion2(IReadOnlyList<KeyValuePair<string, double>> metrics, IReadOnlyList<KeyValuePair<string, ParamValue>> parameters,
        Provenance? provenance) =>
        parameters.Count > 0 || metrics.Any(m => !double.IsFinite(m.Value)) || provenance?.DirtyFiles.Count > 0;

    private static byte[] Write(ObjectId treeId, IReadOnlyList<ObjectId> parents, string author, DateTimeOffset utc, string message,
        IReadOnlyList<KeyValuePair<string, double>> metrics, IReadOnlyList<KeyValuePair<string, ParamValue>> parameters, Provenance? provenance)
    {
        var version = NeedsVersion2(metrics, parameters, provenance) ? Version2 : Version1;
        var writer = new CanonicalWriter();
        writer.WriteMagic(Magic, version);
        writer.WriteId(treeId);
        writer.WriteVarUInt((ulong)parents.Count);
        foreach (var p in parents)
        {
            writer.WriteId(p);
        }

        writer.WriteString(author);
        writer.WriteInt64(utc.ToUnixTimeMilliseconds());
        writer.WriteString(message);
        writer.WriteVarUInt((ulong)metrics.Count);
        foreach (var m in metrics)
        {
            writer.WriteString(m.Key);
            writer.WriteDouble(m.Value);
        }

        if (provenance is null)
        {
            writer.WriteByte(0);
        }
        else
        {
            writer.WriteByte(1);
            writer.WriteString(provenance.GitCommit);
            writer.WriteString(provenance.Branch ?? "");
            writer.WriteByte(provenance.IsDirty ? (byte)1 : (byte)0);
            writer.WriteString(provenance.OriginUrl ?? "");
            if (version == Version2)
            {
                writer.WriteVarUInt((ulong)provenance.DirtyFiles.Count);
                foreach (var path in provenance.DirtyFiles)
                {
                    writer.WriteString(path);
                }
            }
        }

        if (version == Version2)
        {
            writer.WriteVarUInt((ulong)parameters.Count);
            foreach (var (name, value) in parameters)
            {
                writer.WriteString(name);
                if (value.Text is { } text)
                {
                    writer.WriteByte(ParamString);
                    writer.WriteString(text);
                }
                else
                {
                    writer.WriteByte(ParamNumber);
                    writer.WriteDouble(value.Number);
                }
            }
        }

        return writer.ToArray();
    }

    /// <summary>Decodes a commit and checks it hashes to <paramref name="expectedId"/>; malformed bytes throw <see cref="CorruptObjectException"/>.</summary>
    public static Commit Decode(ReadOnlySpan<byte> data, ObjectId expectedId)
    {
        var id = ObjectId.Compute(data);
        if (id != expectedId)
        {
            throw new CorruptObjectException($"Commit {expectedId.ToShortString()} is corrupt: its bytes hash to {id.ToShortString()}.");
        }

        var reader = new CanonicalReader(data, $"commit {expectedId.ToShortString()}");
        var version = reader.ReadMagic(Magic, Version1, Version2);
        var treeId = reader.ReadId();
        var parents = new ObjectId[reader.ReadCount(MaxParents)];
        for (var i = 0; i < parents.Length; i++)
        {
            parents[i] = reader.ReadId();
        }

        var author = reader.ReadString(MaxFieldBytes);
        var millis = reader.ReadInt64();
        if (millis < -62135596800000L || millis > 253402300799999L)
        {
            throw reader.Fail("time out of range");
        }

        var message = reader.ReadString(MaxMessageBytes);
        var metrics = new KeyValuePair<string, double>[reader.ReadCount(MaxMetrics)];
        for (var i = 0; i < metrics.Length; i++)
        {
            var name = ReadName(ref reader, i > 0 ? metrics[i - 1].Key : null, "metric");
            var value = ReadValue(ref reader);
            if (version == Version1 && !double.IsFinite(value))
            {
                throw reader.Fail("a metric that is not finite in a version-1 commit");
            }

            metrics[i] = new(name, value);
        }

        var provenance = ReadProvenance(ref reader, version);
        var parameters = Array.Empty<KeyValuePair<string, ParamValue>>();
        if (version == Version2)
        {
            parameters = new KeyValuePair<string, ParamValue>[reader.ReadCount(MaxParams)];
            for (var i = 0; i < parameters.Length; i++)
            {
                var name = ReadName(ref reader, i > 0 ? parameters[i - 1].Key : null, "param");
                parameters[i] = reader.ReadByte() switch
                {
                    ParamNumber => new(name, ParamValue.FromNumber(ReadValue(ref reader))),
                    ParamString => new(name, ParamValue.FromString(reader.ReadString(MaxFieldBytes))),
                    _ => throw reader.Fail("a param of unknown kind"),
                };
            }

            if (!NeedsVersion2(metrics, parameters, provenance))
            {
                throw reader.Fail("version 2 without params, non-finite metrics or dirty files (the same commit is version 1)");
            }
        }

        reader.ExpectEnd();
        return new Commit(id, treeId, parents, author, DateTimeOffset.FromUnixTimeMilliseconds(millis), message, metrics, parameters, provenance, data.ToArray());
    }

    private static string ReadName(ref CanonicalReader reader, string? previous, string what)
    {
        var name = reader.ReadString(MaxFieldBytes);
        if (string.IsNullOrWhiteSpace(name))
        {
            throw reader.Fail($"a {what} without a name");
        }

        if (previous is not null && string.CompareOrdinal(previous, name) >= 0)
        {
            throw reader.Fail($"{what}s out of order");
        }

        return name;
    }

    private static double ReadValue(ref CanonicalReader reader)
    {
        var bits = reader.ReadUInt64();
        var value = BitConverter.UInt64BitsToDouble(bits);
        if (double.IsNaN(value) && bits != MetricValues.CanonicalNaNBits)
        {
            throw reader.Fail("a NaN other than the canonical one");
        }

        return value;
    }

    private static Provenance? ReadProvenance(ref CanonicalReader reader, byte version)
    {
        var hasProvenance = reader.ReadByte();
        if (hasProvenance == 0)
        {
            return null;
        }

        if (hasProvenance != 1)
        {
            throw reader.Fail("bad provenance flag");
        }

        var gitCommit = reader.ReadString(MaxFieldBytes);
        var branch = reader.ReadString(MaxFieldBytes);
        var dirty = reader.ReadByte();
        var origin = reader.ReadString(MaxFieldBytes);
        if (dirty > 1)
        {
            throw reader.Fail("bad dirty flag");
        }

        var files = Array.Empty<string>();
        if (version == Version2)
        {
            files = new string[reader.ReadCount(MaxDirtyFiles)];
            for (var i = 0; i < files.Length; i++)
            {
                files[i] = reader.ReadString(MaxFieldBytes);
                if (i > 0 && string.CompareOrdinal(files[i - 1], files[i]) >= 0)
                {
                    throw reader.Fail("dirty files out of order");
                }
            }

            if (files.Length > 0 && dirty == 0)
            {
                throw reader.Fail("dirty files named in a clean provenance");
            }
        }

        return new Provenance(gitCommit, branch.Length == 0 ? null : branch, dirty == 1, origin.Length == 0 ? null : origin) { DirtyFiles = files };
    }
}
