using System.Globalization;
using Lmvp.Store.Git;
using Lmvp.Store.Graph;
using Lmvp.Store.Objects;
using Lmvp.Store.Sync;
using Lmvp.Store.WorkingTree;

namespace Lmvp.Store;

public sealed partial class Repository
{
    /// <summary>The remote a clone creates and push, fetch and pull use by default.</summary>
    public const string DefaultRemote = "origin";

    /// <summary>Set while a clone is unfinished (its value is the URL); a re-run of the clone, or a pull, completes it.</summary>
    internal const string CloneIncompleteKey = "clone.incomplete";

    private const string RemoteKeyPrefix = "remote.";
    private const string RemoteUrlSuffix = ".url";

    /// <summary>True while this repository is a clone that was interrupted: re-run the clone, or pull, to finish it.</summary>
    public bool IsUnfinishedClone => _database.GetConfig(CloneIncompleteKey) is not null;

    // ---- push, fetch, pull, clone ----

    /// <summary>Sends a branch (by default the current one) and, with <see cref="PushOptions.Tags"/>, every tag to a remote,
    /// transferring only the chunks and objects the server lacks; the branch moves on the server by compare-and-swap.</summary>
    /// <exception cref="RefConflictException">The server's branch has commits this one lacks (run a pull first, or force).</exception>
    /// <exception cref="AuthenticationFailedException">No token, or the server refused it.</exception>
    /// <exception cref="RemoteException">Refused (permission, not found) or unreachable after retries.</exception>
    public Task<PushResult> PushAsync(string remote = DefaultRemote, string? branch = null, PushOptions? push = null, SyncOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(remote);
        options ??= new SyncOptions();
        options.Validate();
        var url = RemoteUrl.Parse(GetRemoteUrl(remote));
        var name = branch ?? CurrentBranch ?? throw new DetachedHeadException("HEAD is detached: name the branch to push ('lmvp push origin BRANCH').");
        if (_database.GetRef(RefName.Branch(name).FullName) is null)
        {
            throw new ObjectNotFoundException(name == CurrentBranch
                ? $"Branch '{name}' has no commit to push: make a commit first."
                : $"No branch '{name}' to push (see 'lmvp branch'; remote-tracking branches are not pushed).");
        }

        return PushCoreAsync(url, remote, name, push ?? new PushOptions(), options, cancellationToken);
    }

    private async Task<PushResult> PushCoreAsync(RemoteUrl url, string remote, string branch, PushOptions push, SyncOptions options, CancellationToken cancellationToken)
    {
        using var connection = Connect(url, options);
        return await new PushSession(this, connection, options, RequestBytes(options, upload: true)).RunAsync(remote, branch, push, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Downloads what a remote has and this repository lacks: every branch moves its refs/remotes/REMOTE/NAME, and new tags arrive.</summary>
    /// <remarks>Every commit, tree and file list arrives, but only the chunks of the current branch's upstream snapshot (what a
    /// pull would check out); the remote promises the rest, which checkout and reads fetch on demand. Every chunk and object
    /// is verified before it is kept; an interrupted fetch keeps the chunks that arrived and a re-run asks only for the rest.</remarks>
    public Task<FetchResult> FetchAsync(string remote = DefaultRemote, SyncOptions? options = null, CancellationToken cancellationToken = default) =>
        FetchAsync(remote, new FetchOptions(), options, cancellationToken);

    /// <summary>Fetches as <see cref="FetchAsync(string, SyncOptions?, CancellationToken)"/> does; with <see cref="FetchOptions.AllChunks"/>
    /// also every chunk of every version the refs reach, for offline use.</summary>
    public Task<FetchResult> FetchAsync(string remote, FetchOptions fetch, SyncOptions? options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(remote);
        ArgumentNullException.ThrowIfNull(fetch);
        options ??= new SyncOptions();
        options.Validate();
        var url = RemoteUrl.Parse(GetRemoteUrl(remote));
        var upstream = CurrentBranch is { } branch && (_database.GetConfig($"branch.{branch}.remote") ?? DefaultRemote) == remote
            ? RefName.HeadsPrefix + branch
            : null;
        return FetchCoreAsync(url, remote, options, _ => upstream, fetch.AllChunks, null, cancellationToken);
    }

    private async Task<FetchResult> FetchCoreAsync(RemoteUrl url, string remote, SyncOptions options, Func<RemoteRefs, string?> checkoutRef, bool allChunks,
        StreamingCheckout? streamInto, CancellationToken cancellationToken)
    {
        // Fetched chunks are unreachable until the remote-tracking refs move at the end: gc must not run meanwhile.
        using var maintenance = Maintenance.MaintenanceLock.AcquireShared(RepositoryDirectory, "fetch");
        using var connection = Connect(url, options);
        RemoteOptions ??= options;
        return await new FetchSession(this, connection, options, RequestBytes(options)).RunAsync(remote, checkoutRef, allChunks, streamInto, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Fetches, then brings the current branch up to REMOTE/BRANCH (the same name by default) and updates the working tree.</summary>
    /// <remarks>Refuses to overwrite uncommitted changes, as checkout does. When the branches have diverged it fails with a
    /// clear message, or with <see cref="PullMode.Merge"/> records a merge commit of both sides when they changed different files.</remarks>
    public Task<PullResult> PullAsync(string remote = DefaultRemote, string? branch = null, PullMode mode = PullMode.FastForwardOnly, SyncOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(remote);
        options ??= new SyncOptions();
        options.Validate();
        var url = RemoteUrl.Parse(GetRemoteUrl(remote));
        var local = CurrentBranch ?? throw new DetachedHeadException("HEAD is detached: check out a branch to pull into.");
        var remoteBranch = branch ?? local;
        RefName.Branch(remoteBranch);
        return PullCoreAsync(url, remote, local, remoteBranch, mode, options, cancellationToken);
    }

    private async Task<PullResult> PullCoreAsync(RemoteUrl url, string remote, string local, string remoteBranch, PullMode mode, SyncOptions options,
        CancellationToken cancellationToken)
    {
        var fetch = await FetchCoreAsync(url, remote, options, _ => RefName.HeadsPrefix + remoteBranch, allChunks: false, null, cancellationToken).ConfigureAwait(false);
        var upstreamName = $"{remote}/{remoteBranch}";
        var upstream = _database.GetRef(RefName.RemoteTracking(remote, remoteBranch).FullName)
            ?? throw new ObjectNotFoundException($"There is no branch '{remoteBranch}' on {remote} ({url.Url}).");
        var head = Head;
        if (_database.GetConfig($"branch.{local}.remote") is null)
        {
            _database.SetConfig($"branch.{local}.remote", remote);
        }

        if (head is null)
        {
            var first = FastForwardTo(local, upstream, $"pull: from {upstreamName}", options.Progress, cancellationToken);
            _database.DeleteConfig(CloneIncompleteKey);
            return new PullResult(fetch, local, upstreamName, null, upstream, false, first);
        }

        if (head == upstream || IsAncestor(upstream, head.Value))
        {
            return new PullResult(fetch, local, upstreamName, head, head, false, null);
        }

        if (IsAncestor(head.Value, upstream))
        {
            RefuseToOverwrite(head.Value, upstream, upstreamName, cancellationToken);
            var checkout = FastForwardTo(local, upstream, $"pull: fast-forward to {upstreamName}", options.Progress, cancellationToken);
            return new PullResult(fetch, local, upstreamName, head, upstream, false, checkout);
        }

        if (mode != PullMode.Merge)
        {
            var (ahead, behind) = CountAheadBehind(head.Value, upstream);
            throw new RefConflictException(
                $"Not possible to fast-forward: local and {upstreamName} have diverged ({ahead} and {behind} different commits); "
                + "'lmvp pull --merge' records both when they changed different files.");
        }

        var (merge, mergeCheckout) = Merge(local, head.Value, upstream, upstreamName, options.Progress, cancellationToken);
        return new PullResult(fetch, local, upstreamName, head, merge, true, mergeCheckout);
    }

    /// <summary>Fails, before anything moves, when going from <paramref name="from"/> to <paramref name="to"/> would overwrite a
    /// local change (the same rule as checkout, with a message that fits a pull).</summary>
    private void RefuseToOverwrite(ObjectId from, ObjectId to, string upstreamName, CancellationToken cancellationToken)
    {
        var rules = LoadIgnoreRules();
        var conflicts = CheckoutConflicts.Find(FlattenCommit(from, rules), FlattenCommit(to, rules), ScanWithIds(rules, cancellationToken));
        if (conflicts.Count > 0)
        {
            throw new WorkingTreeDirtyException($"Pulling {upstreamName} would overwrite uncommitted changes in {CheckoutConflicts.List(conflicts)}; "
                + $"commit them (or move them away) and pull again. Nothing was changed; {upstreamName} was fetched.");
        }
    }

    /// <summary>Checks out <paramref name="target"/> (refusing to overwrite uncommitted changes), then points
    /// <paramref name="branch"/> and HEAD at it in one transaction.</summary>
    private CheckoutResult FastForwardTo(string branch, ObjectId target, string reflogMessage, IProgress<ProgressInfo>? progress,
        CancellationToken cancellationToken)
    {
        // Checkout by id first: it compares the working tree with the current HEAD and writes only what differs. A kill
        // before the ref move leaves HEAD detached at the new commit with its files in place, never a mix.
        using var message = _database.ReflogMessage(reflogMessage);
        var result = Checkout(target.ToString(), force: false, progress, cancellationToken);
        _database.InTransaction(() =>
        {
            _database.SetRef(RefName.Branch(branch).FullName, target);
            SetHeadToBranch(branch);
        });
        return result with { Branch = branch };
    }

    /// <summary>Records a merge commit whose files are ours where only we changed them and theirs where only they did.</summary>
    private (ObjectId Merge, CheckoutResult Checkout) Merge(string branch, ObjectId ours, ObjectId theirs, string theirsName,
        IProgress<ProgressInfo>? progress, CancellationToken cancellationToken)
    {
        var status = GetStatus(cancellationToken);
        if (!status.IsClean)
        {
            throw new WorkingTreeDirtyException($"Cannot merge {theirsName}: {status.Entries[0].Path} has uncommitted changes; commit them first.");
        }

        var mergeBase = History.MergeBase(_store, ours, theirs);
        var baseFiles = mergeBase is { } b ? FlattenCommit(b) : new Dictionary<string, TreeEntry>(StringComparer.Ordinal);
        var (merged, conflicts) = TreeMerge.Merge(baseFiles, FlattenCommit(ours), FlattenCommit(theirs));
        if (conflicts.Count > 0)
        {
            throw new MergeConflictException($"Cannot merge {theirsName}: both sides changed {CheckoutConflicts.List(conflicts)}; nothing was changed. "
                + "Push to another branch, or commit your files on top of " + theirsName + ".");
        }

        Commit commit;
        using (var writer = new ObjectWriter(_store))
        {
            Tree tree;
            try
            {
                tree = TreeBuilder.Build(merged, writer);
            }
            catch (ArgumentException e)
            {
                throw new MergeConflictException($"Cannot merge {theirsName}: a file on one side is a directory on the other ({e.Message}).", e);
            }

            var (_, gitAuthor) = GitInfo.Read(WorkingDirectory);
            commit = Lmvp.Store.Commit.Create(tree.Id, [ours, theirs], DefaultAuthor(gitAuthor), DateTimeOffset.UtcNow,
                $"Merge {theirsName} into {branch}", [], null);
            writer.PutObject(ObjectKind.Commit, commit.Id, commit.Encoded);
            writer.Publish(null);
        }

        return (commit.Id, FastForwardTo(branch, commit.Id, $"pull: merge {theirsName}", progress, cancellationToken));
    }

    // ---- shared by the sync sessions ----

    private SyncConnection Connect(RemoteUrl url, SyncOptions options)
    {
        if (options.Token is { } given)
        {
            return new SyncConnection(url, given, options);
        }

        var credentials = options.Credentials ?? CredentialStore.Default;
        var token = credentials.GetToken(url.Url);
        return new SyncConnection(url, token, options) { TokenSource = credentials.EnvironmentToken is not null ? CredentialStore.TokenVariable : "saved" };
    }

    private int RequestBytes(SyncOptions options, bool upload = false)
    {
        if (options.RequestBytes is { } explicitly)
        {
            return explicitly;
        }

        if (_database.GetConfig(SyncOptions.RequestBytesConfigKey) is { } configured)
        {
            if (!int.TryParse(configured, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < SyncOptions.MinRequestBytes)
            {
                throw new LmvpException($"Config {SyncOptions.RequestBytesConfigKey} = '{configured}' is not a byte count of at least {SyncOptions.MinRequestBytes}.");
            }

            return value;
        }

        return upload ? SyncOptions.DefaultUploadRequestBytes : SyncOptions.DefaultRequestBytes;
    }
}
