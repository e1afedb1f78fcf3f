using System.Globalization;
using Lmvp.Store.Git;
using Lmvp.Store.Objects;
using Lmvp.Store.Packs;
using Lmvp.Store.Sync;

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

    // ---- remotes ----

    /// <summary>The configured remotes, by name.</summary>
    public IReadOnlyList<RemoteInfo> ListRemotes() =>
        _database.ListConfig(RemoteKeyPrefix)
            .Where(kv => kv.Key.EndsWith(RemoteUrlSuffix, StringComparison.Ordinal) && kv.Key.Length > RemoteKeyPrefix.Length + RemoteUrlSuffix.Length)
            .Select(kv => new RemoteInfo(kv.Key[RemoteKeyPrefix.Length..^RemoteUrlSuffix.Length], kv.Value))
            .ToList();

    /// <summary>The URL of a remote; an unknown name is an <see cref="ObjectNotFoundException"/> that says how to add it.</summary>
    public string GetRemoteUrl(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return _database.GetConfig(RemoteKey(name))
            ?? throw new ObjectNotFoundException(name == DefaultRemote
                ? $"No remote '{name}': add one with 'lmvp remote add {name} http://SERVER/OWNER/NAME'."
                : $"No remote '{name}' (see 'lmvp remote list').");
    }

    /// <summary>Adds a remote: a name for a repository URL (http(s)://server/owner/name).</summary>
    public void AddRemote(string name, string url)
    {
        ValidateRemoteName(name);
        var parsed = RemoteUrl.Parse(url);
        if (_database.GetConfig(RemoteKey(name)) is not null)
        {
            throw new RefConflictException($"Remote '{name}' already exists (change its URL with 'lmvp remote set-url').");
        }

        _database.SetConfig(RemoteKey(name), parsed.Url);
    }

    /// <summary>Changes the URL of an existing remote.</summary>
    public void SetRemoteUrl(string name, string url)
    {
        var parsed = RemoteUrl.Parse(url);
        GetRemoteUrl(name);
        _database.SetConfig(RemoteKey(name), parsed.Url);
    }

    /// <summary>Removes a remote with its remote-tracking refs and the branches' upstream settings that name it.</summary>
    public void RemoveRemote(string name)
    {
        GetRemoteUrl(name);
        _database.InTransaction(() =>
        {
            foreach (var (key, _) in _database.ListConfig($"{RemoteKeyPrefix}{name}."))
            {
                _database.DeleteConfig(key);
            }

            foreach (var (key, value) in _database.ListConfig("branch."))
            {
                if (key.EndsWith(".remote", StringComparison.Ordinal) && value == name)
                {
                    _database.DeleteConfig(key);
                }
            }

            foreach (var (refName, _) in _database.ListRefs($"{RemotesPrefix}{name}/"))
            {
                _database.DeleteRef(refName);
            }
        });
    }

    private static string RemoteKey(string name) => RemoteKeyPrefix + name + RemoteUrlSuffix;

    private static void ValidateRemoteName(string name)
    {
        ValidateRefName(name, "remote");
        if (name.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{name}' is not a valid remote name: it must not contain '/'.", nameof(name));
        }
    }

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
        var name = branch ?? CurrentBranch ?? throw new LmvpException("HEAD is detached: name the branch to push ('lmvp push origin BRANCH').");
        ValidateRefName(name, "branch");
        return PushCoreAsync(url, remote, name, push ?? new PushOptions(), options, cancellationToken);
    }

    private async Task<PushResult> PushCoreAsync(RemoteUrl url, string remote, string branch, PushOptions push, SyncOptions options, CancellationToken cancellationToken)
    {
        using var connection = Connect(url, options);
        return await new PushSession(this, connection, options, RequestBytes(options)).RunAsync(remote, branch, push, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Downloads what a remote has and this repository lacks: every branch moves its refs/remotes/REMOTE/NAME, and new tags arrive.</summary>
    /// <remarks>Every chunk and object is verified before it is kept; an interrupted fetch keeps the chunks that arrived and a re-run asks only for the rest.</remarks>
    public Task<FetchResult> FetchAsync(string remote = DefaultRemote, SyncOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(remote);
        options ??= new SyncOptions();
        options.Validate();
        var url = RemoteUrl.Parse(GetRemoteUrl(remote));
        return FetchCoreAsync(url, remote, options, null, cancellationToken);
    }

    private async Task<FetchResult> FetchCoreAsync(RemoteUrl url, string remote, SyncOptions options, Action<RemoteRefs>? onRefs, CancellationToken cancellationToken)
    {
        // Fetched chunks are unreachable until the remote-tracking refs move at the end: gc must not run meanwhile.
        using var maintenance = Maintenance.MaintenanceLock.AcquireShared(RepositoryDirectory, "fetch");
        using var connection = Connect(url, options);
        return await new FetchSession(this, connection, options, RequestBytes(options)).RunAsync(remote, onRefs, cancellationToken).ConfigureAwait(false);
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
        var local = CurrentBranch ?? throw new LmvpException("HEAD is detached: check out a branch to pull into.");
        var remoteBranch = branch ?? local;
        ValidateRefName(remoteBranch, "branch");
        return PullCoreAsync(url, remote, local, remoteBranch, mode, options, cancellationToken);
    }

    private async Task<PullResult> PullCoreAsync(RemoteUrl url, string remote, string local, string remoteBranch, PullMode mode, SyncOptions options,
        CancellationToken cancellationToken)
    {
        var fetch = await FetchCoreAsync(url, remote, options, null, cancellationToken).ConfigureAwait(false);
        var upstreamName = $"{remote}/{remoteBranch}";
        var upstream = _database.GetRef(RemotesPrefix + upstreamName)
            ?? throw new ObjectNotFoundException($"There is no branch '{remoteBranch}' on {remote} ({url.Url}).");
        var head = Head;
        if (_database.GetConfig($"branch.{local}.remote") is null)
        {
            _database.SetConfig($"branch.{local}.remote", remote);
        }

        if (head is null)
        {
            var first = FastForwardTo(local, upstream, progress: options.Progress, cancellationToken);
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
            var checkout = FastForwardTo(local, upstream, options.Progress, cancellationToken);
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

    /// <summary>Makes a new working tree from a repository URL: init, remote 'origin', fetch, check out the branch
    /// (<see cref="CloneOptions.Branch"/>, else the server's default). An interrupted clone resumes when run again into the same directory.</summary>
    /// <remarks>If it fails before anything arrived, the directory it created is removed; after that it is kept, marked
    /// unfinished (it has no commit checked out), and a re-run of the clone, or a pull inside it, fetches only what is missing.</remarks>
    public static Task<CloneResult> CloneAsync(string url, string directory, CloneOptions? clone = null, SyncOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(url);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options ??= new SyncOptions();
        options.Validate();
        clone ??= new CloneOptions();
        var parsed = RemoteUrl.Parse(url);
        if (clone.Branch is not null)
        {
            ValidateRefName(clone.Branch, "branch");
        }

        foreach (var key in clone.Config.Keys)
        {
            if (string.IsNullOrWhiteSpace(key) || key.Any(char.IsWhiteSpace))
            {
                throw new ArgumentException($"'{key}' is not a config key.", nameof(clone));
            }
        }

        return CloneCoreAsync(parsed, Path.GetFullPath(directory), clone, options, cancellationToken);
    }

    /// <summary>The directory name a clone of <paramref name="url"/> uses by default: the repository's name.</summary>
    public static string CloneDirectoryName(string url) => RemoteUrl.Parse(url).Name;

    private static async Task<CloneResult> CloneCoreAsync(RemoteUrl url, string root, CloneOptions clone, SyncOptions options, CancellationToken cancellationToken)
    {
        var created = !Directory.Exists(root);
        var resumed = false;
        Repository repository;
        if (!created && Directory.Exists(Path.Combine(root, DirectoryName)))
        {
            repository = Open(root);
            var marker = repository.GetConfig(CloneIncompleteKey);
            if (marker is null || marker != url.Url)
            {
                repository.Dispose();
                throw new LmvpException(marker is null
                    ? $"Destination path '{root}' is already an lmvp repository: run 'lmvp pull' in it instead."
                    : $"Destination path '{root}' holds an unfinished clone of {marker}, not of {url.Url}.");
            }

            resumed = true;
        }
        else
        {
            if (!created && Directory.EnumerateFileSystemEntries(root).Any())
            {
                throw new LmvpException($"Destination path '{root}' already exists and is not an empty directory.");
            }

            repository = Init(root);
            repository._database.InTransaction(() =>
            {
                repository._database.SetConfig(RemoteKey(DefaultRemote), url.Url);
                repository._database.SetConfig(CloneIncompleteKey, url.Url);
            });
        }

        foreach (var (key, value) in clone.Config)
        {
            repository._database.SetConfig(key, value);
        }

        using (repository)
        {
            try
            {
                string? chosen = null;
                var fetch = await repository.FetchCoreAsync(url, DefaultRemote, options, refs =>
                {
                    chosen = ChooseBranch(refs, clone.Branch, url);
                    repository.SetHeadToBranch(chosen);
                }, cancellationToken).ConfigureAwait(false);

                CheckoutResult? checkout = null;
                if (repository._database.GetRef($"{RemotesPrefix}{DefaultRemote}/{chosen}") is { } target && repository.Head is null)
                {
                    checkout = repository.FastForwardTo(chosen!, target, options.Progress, cancellationToken);
                }

                repository._database.InTransaction(() =>
                {
                    repository._database.SetConfig($"branch.{chosen}.remote", DefaultRemote);
                    repository._database.DeleteConfig(CloneIncompleteKey);
                });
                return new CloneResult(root, chosen!, resumed, fetch, checkout);
            }
            catch when (!resumed && repository.NothingArrived())
            {
                // Nothing worth keeping (refused, unreachable, cancelled early): leave no directory that looks like a clone.
                repository.Dispose();
                RemoveCreated(root, created);
                throw;
            }
        }
    }

    private static string ChooseBranch(RemoteRefs refs, string? wanted, RemoteUrl url)
    {
        if (wanted is not null)
        {
            return refs.Refs.ContainsKey(HeadsPrefix + wanted) || refs.Refs.Count == 0
                ? wanted
                : throw new ObjectNotFoundException($"Remote branch '{wanted}' not found in {url.Url}.");
        }

        if (refs.Head is { } head)
        {
            var name = head.StartsWith(HeadsPrefix, StringComparison.Ordinal) ? head[HeadsPrefix.Length..] : head;
            if (refs.Refs.ContainsKey(HeadsPrefix + name) || refs.Refs.Count == 0)
            {
                return name;
            }
        }

        if (refs.Refs.ContainsKey(HeadsPrefix + DefaultBranch))
        {
            return DefaultBranch;
        }

        return refs.Refs.Keys.Where(k => k.StartsWith(HeadsPrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            .Select(k => k[HeadsPrefix.Length..]).FirstOrDefault() ?? DefaultBranch;
    }

    private bool NothingArrived() => _database.ListPacks().Count == 0 && _database.ListRefs("refs/").Count == 0;

    private static void RemoveCreated(string root, bool created)
    {
        try
        {
            Directory.Delete(created ? root : Path.Combine(root, DirectoryName), recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Fails, before anything moves, when going from <paramref name="from"/> to <paramref name="to"/> would overwrite a
    /// local change: a modified or deleted tracked file that the move changes, or an untracked file in the way.</summary>
    /// <remarks>The same rule as checkout (changes to files the move leaves alone are carried over), with a message that fits a pull.</remarks>
    private void RefuseToOverwrite(ObjectId from, ObjectId to, string upstreamName, CancellationToken cancellationToken)
    {
        var current = FlattenCommit(from);
        var wanted = FlattenCommit(to);
        var working = ScanWithIds(cancellationToken);
        var conflicts = new List<string>();
        foreach (var (path, entry) in current)
        {
            var changedHere = !working.TryGetValue(path, out var w) || !SameContent(w, entry);
            var changedThere = !wanted.TryGetValue(path, out var t) || !SameContent(t, entry);
            if (changedHere && changedThere)
            {
                conflicts.Add(path);
            }
        }

        foreach (var (path, entry) in wanted)
        {
            if (!current.ContainsKey(path) && working.TryGetValue(path, out var w) && !SameContent(w, entry))
            {
                conflicts.Add(path);
            }
        }

        if (conflicts.Count > 0)
        {
            conflicts.Sort(StringComparer.Ordinal);
            throw new LmvpException(
                $"Pulling {upstreamName} would overwrite uncommitted changes in {string.Join(", ", conflicts.Take(MaxListedConflicts))}"
                + (conflicts.Count > MaxListedConflicts ? $" (+{conflicts.Count - MaxListedConflicts} more)" : "")
                + $"; commit them (or move them away) and pull again. Nothing was changed; {upstreamName} was fetched.");
        }
    }

    /// <summary>Checks out <paramref name="target"/> (refusing to overwrite uncommitted changes), then points
    /// <paramref name="branch"/> and HEAD at it in one transaction.</summary>
    private CheckoutResult FastForwardTo(string branch, ObjectId target, IProgress<ProgressInfo>? progress, CancellationToken cancellationToken)
    {
        // Checkout by id first: it compares the working tree with the current HEAD and writes only what differs. A kill
        // before the ref move leaves HEAD detached at the new commit with its files in place, never a mix.
        var result = Checkout(target.ToString(), force: false, progress, cancellationToken);
        _database.InTransaction(() =>
        {
            _database.SetRef(HeadsPrefix + branch, target);
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
            throw new LmvpException($"Cannot merge {theirsName}: {status.Entries[0].Path} has uncommitted changes; commit them first.");
        }

        var mergeBase = MergeBase(ours, theirs);
        var baseFiles = mergeBase is { } b ? FlattenCommit(b) : new Dictionary<string, TreeEntry>(StringComparer.Ordinal);
        var ourFiles = FlattenCommit(ours);
        var theirFiles = FlattenCommit(theirs);
        var merged = new List<(string Path, TreeEntry Entry)>();
        var conflicts = new List<string>();
        foreach (var path in ourFiles.Keys.Union(theirFiles.Keys).Order(StringComparer.Ordinal))
        {
            var o = ourFiles.GetValueOrDefault(path);
            var t = theirFiles.GetValueOrDefault(path);
            var a = baseFiles.GetValueOrDefault(path);
            TreeEntry? pick;
            if (Same(o, t) || Same(t, a))
            {
                pick = o;
            }
            else if (Same(o, a))
            {
                pick = t;
            }
            else
            {
                conflicts.Add(path);
                continue;
            }

            if (pick is not null)
            {
                merged.Add((path, pick));
            }
        }

        if (conflicts.Count > 0)
        {
            throw new LmvpException($"Cannot merge {theirsName}: both sides changed {string.Join(", ", conflicts.Take(MaxListedConflicts))}"
                + (conflicts.Count > MaxListedConflicts ? $" (+{conflicts.Count - MaxListedConflicts} more)" : "")
                + "; nothing was changed. Push to another branch, or commit your files on top of " + theirsName + ".");
        }

        Commit commit;
        using (var writer = new ObjectWriter(_store))
        {
            Tree tree;
            try
            {
                tree = BuildTrees(merged, writer);
            }
            catch (ArgumentException e)
            {
                throw new LmvpException($"Cannot merge {theirsName}: a file on one side is a directory on the other ({e.Message}).", e);
            }

            var (_, gitAuthor) = GitInfo.Read(WorkingDirectory);
            commit = Lmvp.Store.Commit.Create(tree.Id, [ours, theirs], gitAuthor ?? Environment.UserName, DateTimeOffset.UtcNow,
                $"Merge {theirsName} into {branch}", [], null);
            writer.PutObject(EntryKind.Commit, commit.Id, commit.Encoded);
            writer.Publish(null);
        }

        return (commit.Id, FastForwardTo(branch, commit.Id, progress, cancellationToken));

        static bool Same(TreeEntry? x, TreeEntry? y) => x is null ? y is null : y is not null && SameContent(x, y);
    }

    /// <summary>The newest commit that both reach, or null when their histories share nothing.</summary>
    private ObjectId? MergeBase(ObjectId a, ObjectId b)
    {
        var fromA = Walk(a).Select(c => c.Id).ToHashSet();
        foreach (var c in Walk(b))
        {
            if (fromA.Contains(c.Id))
            {
                return c.Id;
            }
        }

        return null;
    }

    // ---- shared by the sync sessions ----

    private SyncConnection Connect(RemoteUrl url, SyncOptions options)
    {
        var token = options.Token ?? (options.Credentials ?? CredentialStore.Default).GetToken(url.Url);
        return new SyncConnection(url, token, options);
    }

    private int RequestBytes(SyncOptions options)
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

        return SyncOptions.DefaultRequestBytes;
    }
}
