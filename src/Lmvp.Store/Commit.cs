using Lmvp.Store.Objects;

namespace Lmvp.Store;

/// <summary>A snapshot of the training directory with its message, metrics and provenance.</summary>
public sealed class Commit
{
    /// <summary>The most parents a commit may have.</summary>
    public const int MaxParents = 16;

    /// <summary>The most metrics a commit may carry.</summary>
    public const int MaxMetrics = 1024;

    private static ReadOnlySpan<byte> Magic => "LCMT"u8;
    private const byte Version = 1;
    private const int MaxMessageBytes = 1 << 20;
    private const int MaxFieldBytes = 4096;

    private Commit(ObjectId id, ObjectId treeId, IReadOnlyList<ObjectId> parents, string author, DateTimeOffset time,
        string message, IReadOnlyList<KeyValuePair<string, double>> metrics, Provenance? provenance, byte[] encoded)
    {
        Id = id;
        TreeId = treeId;
        Parents = parents;
        Author = author;
        Time = time;
        Message = message;
        Metrics = metrics;
        Provenance = provenance;
        Encoded = encoded;
    }

    /// <summary>The commit id: BLAKE3 of its canonical encoding.</summary>
    public ObjectId Id { get; }

    /// <summary>The root tree.</summary>
    public ObjectId TreeId { get; }

    /// <summary>Parent commits (none for the first commit).</summary>
    public IReadOnlyList<ObjectId> Parents { get; }

    /// <summary>"Name &lt;email&gt;" or an OS user name.</summary>
    public string Author { get; }

    /// <summary>When the commit was made, UTC, millisecond precision.</summary>
    public DateTimeOffset Time { get; }

    /// <summary>The message.</summary>
    public string Message { get; }

    /// <summary>Metrics sorted by name.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Metrics { get; }

    /// <summary>The training code's git state, when the directory was in a git work tree.</summary>
    public Provenance? Provenance { get; }

    /// <summary>The first line of the message.</summary>
    public string Subject => Message.Split('\n', 2)[0];

    internal byte[] Encoded { get; }

    /// <summary>A copy of the canonical encoding, as packs and the wire carry it; its BLAKE3 is the id.</summary>
    public byte[] Encode() => (byte[])Encoded.Clone();

    /// <summary>Builds a commit; metric names must be unique and values finite.</summary>
    public static Commit Create(ObjectId treeId, IReadOnlyList<ObjectId> parents, string author, DateTimeOffset time, string message,
        IEnumerable<KeyValuePair<string, double>> metrics, Provenance? provenance)
    {
        ArgumentNullException.ThrowIfNull(parents);
        ArgumentNullException.ThrowIfNull(author);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(metrics);
        if (parents.Count > MaxParents)
        {
            throw new ArgumentException("Too many parents.", nameof(parents));
        }

        // Every limit Decode enforces is enforced here too: a commit that is written must be readable.
        CheckLength(author, MaxFieldBytes, "The author", nameof(author));
        CheckLength(message, MaxMessageBytes, "The message", nameof(message));
        if (provenance is not null)
        {
            CheckLength(provenance.GitCommit, MaxFieldBytes, "The git commit", nameof(provenance));
            CheckLength(provenance.Branch ?? "", MaxFieldBytes, "The git branch", nameof(provenance));
            CheckLength(provenance.OriginUrl ?? "", MaxFieldBytes, "The git origin URL", nameof(provenance));
        }

        var sorted = metrics.OrderBy(m => m.Key, StringComparer.Ordinal).ToArray();
        if (sorted.Length > MaxMetrics)
        {
            throw new ArgumentException($"A commit may carry at most {MaxMetrics} metrics, not {sorted.Length}.", nameof(metrics));
        }

        for (var i = 0; i < sorted.Length; i++)
        {
            CheckLength(sorted[i].Key, MaxFieldBytes, $"Metric name '{sorted[i].Key[..Math.Min(sorted[i].Key.Length, 40)]}...'", nameof(metrics));
            if (string.IsNullOrWhiteSpace(sorted[i].Key) || !double.IsFinite(sorted[i].Value))
            {
                throw new ArgumentException($"Metric '{sorted[i].Key}' needs a name and a finite value.", nameof(metrics));
            }

            if (i > 0 && sorted[i - 1].Key == sorted[i].Key)
            {
                throw new ArgumentException($"Metric '{sorted[i].Key}' is given twice.", nameof(metrics));
            }
        }

        var utc = DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());
        var writer = new CanonicalWriter();
        writer.WriteMagic(Magic, Version);
        writer.WriteId(treeId);
        writer.WriteVarUInt((ulong)parents.Count);
        foreach (var p in parents)
        {
            writer.WriteId(p);
        }

        writer.WriteString(author);
        writer.WriteInt64(utc.ToUnixTimeMilliseconds());
        writer.WriteString(message);
        writer.WriteVarUInt((ulong)sorted.Length);
        foreach (var m in sorted)
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
        }

        var encoded = writer.ToArray();
        return new Commit(ObjectId.Compute(encoded), treeId, parents.ToArray(), author, utc, message, sorted, provenance, encoded);
    }

    private static void CheckLength(string value, int maxBytes, string what, string parameter)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(value) > maxBytes)
        {
            throw new ArgumentException($"{what} is longer than {maxBytes} bytes.", parameter);
        }
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
        reader.ReadMagic(Magic, Version);
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
            var name = reader.ReadString(MaxFieldBytes);
            var value = reader.ReadDouble();
            if (string.IsNullOrWhiteSpace(name))
            {
                throw reader.Fail("a metric without a name");
            }

            if (!double.IsFinite(value) || (i > 0 && string.CompareOrdinal(metrics[i - 1].Key, name) >= 0))
            {
                throw reader.Fail("metrics out of order or not finite");
            }

            metrics[i] = new(name, value);
        }

        Provenance? provenance = null;
        var hasProvenance = reader.ReadByte();
        if (hasProvenance == 1)
        {
            var gitCommit = reader.ReadString(MaxFieldBytes);
            var branch = reader.ReadString(MaxFieldBytes);
            var dirty = reader.ReadByte();
            var origin = reader.ReadString(MaxFieldBytes);
            if (dirty > 1)
            {
                throw reader.Fail("bad dirty flag");
            }

            provenance = new Provenance(gitCommit, branch.Length == 0 ? null : branch, dirty == 1, origin.Length == 0 ? null : origin);
        }
        else if (hasProvenance != 0)
        {
            throw reader.Fail("bad provenance flag");
        }

        reader.ExpectEnd();
        return new Commit(id, treeId, parents, author, DateTimeOffset.FromUnixTimeMilliseconds(millis), message, metrics, provenance, data.ToArray());
    }
}
