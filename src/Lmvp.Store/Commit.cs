namespace Lmvp.Store;

/// <summary>A snapshot of the training directory with its message, metrics, params and provenance.</summary>
/// <remarks>The canonical encoding is versioned (see <c>Commit.Encoding.cs</c>): a commit that needs nothing new is
/// written as version 1, exactly as before, so its id does not change and older readers still read it; params,
/// non-finite metrics or dirty file names make it version 2.</remarks>
public sealed partial class Commit
{
    /// <summary>The most parents a commit may have.</summary>
    public const int MaxParents = 16;

    /// <summary>The most metrics a commit may carry.</summary>
    public const int MaxMetrics = 1024;

    /// <summary>The most params a commit may carry.</summary>
    public const int MaxParams = 1024;

    /// <summary>The most dirty file names a commit's provenance records (a larger list is cut, in name order).</summary>
    public const int MaxDirtyFiles = 1024;

    private const int MaxMessageBytes = 1 << 20;
    private const int MaxFieldBytes = 4096;

    private Commit(ObjectId id, ObjectId treeId, IReadOnlyList<ObjectId> parents, string author, DateTimeOffset time, string message,
        IReadOnlyList<KeyValuePair<string, double>> metrics, IReadOnlyList<KeyValuePair<string, ParamValue>> parameters, Provenance? provenance, byte[] encoded)
    {
        Id = id;
        TreeId = treeId;
        Parents = parents;
        Author = author;
        Time = time;
        Message = message;
        Metrics = metrics;
        Params = parameters;
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

    /// <summary>Metrics sorted by name (ordinal); values may be NaN or ±infinity.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Metrics { get; }

    /// <summary>Params (hyperparameters: numbers or strings) sorted by name (ordinal); empty for version-1 commits.</summary>
    public IReadOnlyList<KeyValuePair<string, ParamValue>> Params { get; }

    /// <summary>The training code's git state, when the directory was in a git work tree.</summary>
    public Provenance? Provenance { get; }

    /// <summary>The first line of the message.</summary>
    public string Subject => Message.Split('\n', 2)[0];

    internal byte[] Encoded { get; }

    /// <summary>A copy of the canonical encoding, as packs and the wire carry it; its BLAKE3 is the id.</summary>
    public byte[] Encode() => (byte[])Encoded.Clone();

    /// <summary>Builds a commit without params; metric names must be unique.</summary>
    public static Commit Create(ObjectId treeId, IReadOnlyList<ObjectId> parents, string author, DateTimeOffset time, string message,
        IEnumerable<KeyValuePair<string, double>> metrics, Provenance? provenance) =>
        Create(treeId, parents, author, time, message, metrics, provenance, []);

    /// <summary>Builds a commit; metric and param names must be unique and not blank.</summary>
    public static Commit Create(ObjectId treeId, IReadOnlyList<ObjectId> parents, string author, DateTimeOffset time, string message,
        IEnumerable<KeyValuePair<string, double>> metrics, Provenance? provenance, IEnumerable<KeyValuePair<string, ParamValue>> parameters)
    {
        ArgumentNullException.ThrowIfNull(parents);
        ArgumentNullException.ThrowIfNull(author);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(parameters);
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
            var dirty = provenance.DirtyFiles.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Take(MaxDirtyFiles).ToArray();
            foreach (var path in dirty)
            {
                CheckLength(path, MaxFieldBytes, "A dirty file's name", nameof(provenance));
            }

            if (dirty.Length > 0 && !provenance.IsDirty)
            {
                throw new ArgumentException("A provenance that names dirty files must be dirty.", nameof(provenance));
            }

            provenance = provenance with { DirtyFiles = dirty };
        }

        var sortedMetrics = metrics.Select(m => new KeyValuePair<string, double>(m.Key, MetricValues.Canonical(m.Value)))
            .OrderBy(m => m.Key, StringComparer.Ordinal).ToArray();
        CheckNames(sortedMetrics.Select(m => m.Key).ToArray(), MaxMetrics, "metric", nameof(metrics));
        var sortedParams = parameters.OrderBy(p => p.Key, StringComparer.Ordinal).ToArray();
        CheckNames(sortedParams.Select(p => p.Key).ToArray(), MaxParams, "param", nameof(parameters));
        foreach (var (name, value) in sortedParams)
        {
            if (value.Text is { } text)
            {
                CheckLength(text, MaxFieldBytes, $"The value of param '{Short(name)}'", nameof(parameters));
            }
        }

        var utc = DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());
        var encoded = Write(treeId, parents, author, utc, message, sortedMetrics, sortedParams, provenance);
        return new Commit(ObjectId.Compute(encoded), treeId, parents.ToArray(), author, utc, message, sortedMetrics, sortedParams, provenance, encoded);
    }

    private static void CheckNames(string[] sortedNames, int max, string what, string parameter)
    {
        if (sortedNames.Length > max)
        {
            throw new ArgumentException($"A commit may carry at most {max} {what}s, not {sortedNames.Length}.", parameter);
        }

        for (var i = 0; i < sortedNames.Length; i++)
        {
            var name = sortedNames[i];
            CheckLength(name, MaxFieldBytes, $"The {what} name '{Short(name)}...'", parameter);
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new ArgumentException($"A {what} needs a name.", parameter);
            }

            if (i > 0 && sortedNames[i - 1] == name)
            {
                throw new ArgumentException($"The {what} '{name}' is given twice.", parameter);
            }
        }
    }

    private static string Short(string name) => name[..Math.Min(name.Length, 40)];

    private static void CheckLength(string value, int maxBytes, string what, string parameter)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(value) > maxBytes)
        {
            throw new ArgumentException($"{what} is longer than {maxBytes} bytes.", parameter);
        }
    }
}
