using Lmvp.Store.Maintenance;

namespace Lmvp.Store;

/// <summary>What an fsck problem is about.</summary>
public enum FsckProblemKind
{
    /// <summary>The SQLite index file itself.</summary>
    Database,

    /// <summary>A pack file: its structure, or an entry nothing reads through the index.</summary>
    Pack,

    /// <summary>A chunk that files need and cannot be read intact.</summary>
    Chunk,

    /// <summary>A tree, commit or file (manifest) that is corrupt or missing.</summary>
    Object,

    /// <summary>A ref pointing at a commit that is missing or corrupt.</summary>
    Ref,
}

/// <summary>A file in a commit that uses a broken chunk or file.</summary>
/// <param name="Path">The slash-separated path in that commit.</param>
/// <param name="Commit">The commit.</param>
public sealed record FsckUsage(string Path, ObjectId Commit);

/// <summary>One thing fsck found broken.</summary>
/// <param name="Kind">What it is about.</param>
/// <param name="Subject">The broken thing: a full chunk or object id, a pack file name, a ref name.</param>
/// <param name="Message">One line saying what is wrong, for a person.</param>
/// <param name="UsedBy">For a chunk or file: the files and commits that use it, newest commit first (at most 100).</param>
/// <param name="UsedByTotal">How many (path, commit) pairs use it in all.</param>
public sealed record FsckProblem(FsckProblemKind Kind, string Subject, string Message, IReadOnlyList<FsckUsage> UsedBy, int UsedByTotal);

/// <summary>The result of <see cref="Repository.Fsck"/>.</summary>
/// <param name="Objects">Metadata objects (trees, commits, manifests) checked.</param>
/// <param name="Chunks">Chunk index rows checked.</param>
/// <param name="Packs">Pack files whose every byte was verified.</param>
/// <param name="BytesVerified">Pack bytes read and verified.</param>
/// <param name="Elapsed">How long it took.</param>
/// <param name="Problems">What is broken; empty when all is well.</param>
/// <param name="Notes">Harmless findings worth a line (interrupted commits' leftovers).</param>
public sealed record FsckReport(long Objects, long Chunks, int Packs, long BytesVerified, TimeSpan Elapsed, IReadOnlyList<FsckProblem> Problems, IReadOnlyList<string> Notes)
{
    /// <summary>True when nothing is broken.</summary>
    public bool IsOk => Problems.Count == 0;

    /// <summary>Chunks that are not here because a remote promises them (left there by a partial clone or fetch): not damage.</summary>
    public long PromisedChunks { get; init; }

    /// <summary>The raw bytes of <see cref="PromisedChunks"/>.</summary>
    public long PromisedBytes { get; init; }
}

/// <summary>How a rebuild of the index treated one ref.</summary>
public enum RefRecoveryKind
{
    /// <summary>The ref was in the (healthy) index and its commit exists.</summary>
    Kept,

    /// <summary>Read back from the damaged index; its commit exists.</summary>
    Salvaged,

    /// <summary>HEAD's branch had no usable ref: pointed at the newest head commit no other ref reaches.</summary>
    NewestHead,

    /// <summary>A branch <c>recovered-&lt;shortid&gt;</c> created for another head commit no ref reaches.</summary>
    OtherHead,

    /// <summary>The ref names a commit the packs do not hold; left as it was (or, if salvaged, not restored).</summary>
    Dangling,
}

/// <summary>One ref after an index rebuild.</summary>
/// <param name="Name">Full ref name (refs/heads/main).</param>
/// <param name="Target">The commit it points at (or pointed at, when dangling).</param>
/// <param name="How">How it came to point there.</param>
public sealed record RefRecovery(string Name, ObjectId Target, RefRecoveryKind How);

/// <summary>The result of <see cref="Repository.RebuildIndex"/>.</summary>
/// <param name="MovedAsideTo">Where a damaged index was moved, or null.</param>
/// <param name="IndexWasMissing">True when there was no lmvp.db at all.</param>
/// <param name="Packs">Packs indexed.</param>
/// <param name="Chunks">Chunks indexed.</param>
/// <param name="Commits">Commits in the index afterwards.</param>
/// <param name="Trees">Trees in the index afterwards.</param>
/// <param name="Files">File manifests in the index afterwards.</param>
/// <param name="DamagedPacks">One line per pack with damage; its good entries were still indexed.</param>
/// <param name="Refs">Every ref the rebuild looked at and what it did with it.</param>
/// <param name="UnreferencedHeads">Head commits no ref reaches, left alone because the index was healthy (gc would remove them).</param>
/// <param name="Branch">The branch HEAD names afterwards, or null when detached.</param>
/// <param name="Notes">Other things done, one line each.</param>
public sealed record IndexRebuildResult(string? MovedAsideTo, bool IndexWasMissing, int Packs, long Chunks, long Commits, long Trees, long Files,
    IReadOnlyList<string> DamagedPacks, IReadOnlyList<RefRecovery> Refs, IReadOnlyList<ObjectId> UnreferencedHeads, string? Branch, IReadOnlyList<string> Notes);

public sealed partial class Repository
{
    /// <summary>Verifies the whole repository: every pack byte, every chunk row, every object, and the closure of every ref.</summary>
    /// <remarks>Changes nothing. Each broken chunk is reported with the files and commits that use it.</remarks>
    public FsckReport Fsck(IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default) =>
        new FsckRunner(_store, progress).Run(cancellationToken);

    /// <summary>Rebuilds the index (lmvp.db) from the packs alone and re-points refs; works when lmvp.db is missing or damaged.</summary>
    /// <remarks>
    /// <paramref name="startDirectory"/> is searched upward for the repository, like <see cref="Discover"/>. A damaged index is
    /// moved aside as <c>lmvp.db.corrupt-&lt;UTC time&gt;</c>, never deleted, and the refs, HEAD and config still readable in it
    /// are carried over. Then, if HEAD's branch has no usable ref, it is pointed at the newest head commit (one no other commit
    /// names as parent) that no ref reaches; when the index was rebuilt from nothing, every other such head gets a branch
    /// <c>recovered-&lt;shortid&gt;</c>.
    /// </remarks>
    public static IndexRebuildResult RebuildIndex(string startDirectory, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(startDirectory);
        for (var dir = new DirectoryInfo(Path.GetFullPath(startDirectory)); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, DirectoryName)))
            {
                return IndexRebuilder.Run(dir.FullName, progress, cancellationToken);
            }
        }

        throw new RepositoryNotFoundException($"Not an lmvp repository (or any parent up to /): {Path.GetFullPath(startDirectory)}.");
    }
}
