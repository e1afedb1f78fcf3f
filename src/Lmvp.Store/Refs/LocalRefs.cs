using Lmvp.Store.Index;

namespace Lmvp.Store.Refs;

/// <summary>The client's refs and HEAD, as the revision resolver reads them.</summary>
/// <remarks>HEAD is "ref: refs/heads/NAME" (a branch, possibly not yet born) or a commit id (detached).</remarks>
internal sealed class LocalRefs(RepositoryDatabase database) : IRefSource
{
    /// <summary>Where HEAD is kept (and the name its reflog goes under).</summary>
    internal const string HeadKey = "HEAD";

    /// <summary>What a HEAD on a branch starts with.</summary>
    internal const string SymbolicPrefix = "ref: ";

    /// <summary>The checked-out branch, or null when HEAD is detached.</summary>
    public string? CurrentBranch
    {
        get
        {
            var head = HeadValue;
            return head.StartsWith(SymbolicPrefix + RefName.HeadsPrefix, StringComparison.Ordinal) ? head[(SymbolicPrefix + RefName.HeadsPrefix).Length..] : null;
        }
    }

    /// <summary>The commit HEAD points at, or null before the first commit.</summary>
    public ObjectId? Head
    {
        get
        {
            var head = HeadValue;
            return head.StartsWith(SymbolicPrefix, StringComparison.Ordinal) ? database.GetRef(head[SymbolicPrefix.Length..]) : ObjectId.Parse(head);
        }
    }

    /// <summary>The raw HEAD value, for fsck.</summary>
    public string HeadValue => database.GetMeta(HeadKey) ?? SymbolicPrefix + RefName.HeadsPrefix + Repository.DefaultBranch;

    /// <summary>True when HEAD names a commit rather than a branch.</summary>
    public bool IsDetached => !HeadValue.StartsWith(SymbolicPrefix, StringComparison.Ordinal);

    public void SetHeadToBranch(string branch) => SetHeadValue(SymbolicPrefix + RefName.Branch(branch).FullName);

    public void SetHeadDetached(ObjectId id) => SetHeadValue(id.ToString());

    /// <summary>Sets HEAD from a raw value, logging the move in HEAD's reflog ("checkout: moving from main to exp").</summary>
    public void SetHeadValue(string value) => database.InTransaction(() =>
    {
        var before = HeadValue;
        var old = TryHead();
        database.SetMeta(HeadKey, value);
        if (before != value)
        {
            database.AppendReflog(HeadKey, old, TryHead(), database.CurrentReflogMessage($"checkout: moving from {Describe(before)} to {Describe(value)}"));
        }
    });

    private ObjectId? TryHead()
    {
        var head = HeadValue;
        return head.StartsWith(SymbolicPrefix, StringComparison.Ordinal) ? database.GetRef(head[SymbolicPrefix.Length..])
            : ObjectId.TryParse(head, out var id) ? id : null;
    }

    private static string Describe(string headValue) =>
        headValue.StartsWith(SymbolicPrefix + RefName.HeadsPrefix, StringComparison.Ordinal) ? headValue[(SymbolicPrefix + RefName.HeadsPrefix).Length..]
        : ObjectId.TryParse(headValue, out var id) ? id.ToShortString() : headValue;

    public ValueTask<ObjectId?> GetRefAsync(string fullName, CancellationToken cancellationToken) => new(database.GetRef(fullName));

    public ValueTask<ObjectId?> GetHeadAsync(CancellationToken cancellationToken) => new(Head);

    public ValueTask<IReadOnlyList<ObjectId>> FindCommitsByPrefixAsync(string hexPrefix, int limit, CancellationToken cancellationToken) =>
        new(database.FindByPrefix(hexPrefix, ObjectKind.Commit, limit));
}
