namespace Lmvp.Store;

/// <summary>What to record with a commit.</summary>
public sealed class CommitOptions
{
    /// <summary>The commit message.</summary>
    public required string Message { get; init; }

    /// <summary>The author; null takes the git user.name/email around the directory, else the OS user.</summary>
    public string? Author { get; init; }

    /// <summary>Metrics to record (name to number; NaN and ±infinity are kept as they are).</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>Params to record (hyperparameters: name to number or string, such as lr, batch size, optimizer, dataset version).</summary>
    public IReadOnlyDictionary<string, ParamValue> Params { get; init; } = new Dictionary<string, ParamValue>();

    /// <summary>Record a commit even when the tree equals HEAD's.</summary>
    public bool AllowEmpty { get; init; }

    /// <summary>The commit time; null is now.</summary>
    public DateTimeOffset? Time { get; init; }

    /// <summary>Record the enclosing git repository's state (on by default).</summary>
    public bool RecordProvenance { get; init; } = true;

    /// <summary>Test hook: runs after a file's content has been read and before it is re-checked for changes.</summary>
    internal Action<string>? AfterFileRead { get; init; }
}

/// <summary>What a commit did.</summary>
/// <param name="Commit">The new commit.</param>
/// <param name="BytesScanned">Bytes of files in the tree.</param>
/// <param name="BytesRead">Bytes actually read (files whose stat changed).</param>
/// <param name="BytesStored">Bytes added to packs (new chunks, after compression, with headers).</param>
/// <param name="NewChunks">Chunks the repository did not have before.</param>
/// <param name="FilesRead">Files read and chunked.</param>
/// <param name="FilesUnchanged">Files reused from the stat cache without reading.</param>
/// <param name="BytesNew">Raw bytes of the new chunks: what was left to store after dedup, before compression.</param>
public sealed record CommitResult(Commit Commit, long BytesScanned, long BytesRead, long BytesStored, long NewChunks, int FilesRead, int FilesUnchanged,
    long BytesNew)
{
    /// <summary>Files git tracks under the working tree, left out of the snapshot (their version is the provenance's git commit).</summary>
    public int FilesLeftToGit { get; init; }

    /// <summary>How much smaller compression made the new chunks: <see cref="BytesNew"/> over <see cref="BytesStored"/> (1 when nothing was new).</summary>
    public double CompressionRatio => BytesStored == 0 ? 1 : (double)BytesNew / BytesStored;
}

/// <summary>Progress of a long operation, for a progress bar.</summary>
/// <param name="Operation">What is running ("commit", "checkout").</param>
/// <param name="Done">Bytes done.</param>
/// <param name="Total">Bytes in all.</param>
public readonly record struct ProgressInfo(string Operation, long Done, long Total);
