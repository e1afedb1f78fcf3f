using Lmvp.Store.Index;

namespace Lmvp.Store.Refs;

/// <summary>The client's refs and HEAD, as the revision resolver reads them.</summary>
/// <remarks>HEAD is "ref: refs/heads/NAME" (a branch, possibly not yet born) or a commit id (detached).</remarks>
internal sealed class LocalRefs(RepositoryDatabase database) : IRefSource
{
    private const string HeadKey = "HEAD";
    private const string SymbolicPrefix = "ref: ";

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

    public void SetHeadToBranch(string branch) => database.SetMeta(HeadKey, SymbolicPrefix + RefName.Branch(branch).FullName);

    public void SetHeadDetached(ObjectId id) => database.SetMeta(HeadKey, id.ToString());

    /// <summary>Sets HEAD from a salvaged raw value (an index rebuild).</summary>
    public void SetHeadValue(string value) => database.SetMeta(HeadKey, value);

    public ValueTask<ObjectId?> GetRefAsync(string fullName, CancellationToken cancellationToken) => new(database.GetRef(fullName));

    public ValueTask<ObjectId?> GetHeadAsync(CancellationToken cancellationToken) => new(Head);

    public ValueTask<IReadOnlyList<ObjectId>> FindCommitsByPrefixAsync(string hexPrefix, int limit, CancellationToken cancellationToken) =>
        new(database.FindByPrefix(hexPrefix, ObjectKind.Commit, limit));
}
