using Lmvp.Store.Sync;
using Lmvp.Store.WorkingTree;

namespace Lmvp.Store;

public sealed partial class Repository
{
    /// <summary>Makes a new working tree from a repository URL: init, remote 'origin', fetch, check out the branch
    /// (<see cref="CloneOptions.Branch"/>, else the server's default). An interrupted clone resumes when run again into the same directory.</summary>
    /// <remarks>Every commit, tree and file list arrives, but only the chunks of the snapshot checked out, unless
    /// <see cref="CloneOptions.AllChunks"/>; older versions' chunks come from origin when a checkout or read needs them.
    /// If it fails before anything arrived, the directory it created is removed; after that it is kept, marked
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
            RefName.Branch(clone.Branch);
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
                throw new DestinationNotEmptyException(marker is null
                    ? $"Destination path '{root}' is already an lmvp repository: run 'lmvp pull' in it instead."
                    : $"Destination path '{root}' holds an unfinished clone of {marker}, not of {url.Url}.");
            }

            resumed = true;
        }
        else
        {
            if (!created && Directory.EnumerateFileSystemEntries(root).Any())
            {
                throw new DestinationNotEmptyException($"Destination path '{root}' already exists and is not an empty directory.");
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
            StreamingCheckout? streamed = null;
            try
            {
                if (resumed)
                {
                    StreamingCheckout.RemoveStaleTemporaries(root);
                }

                // The snapshot's files are written as their chunks arrive, except those the checkout would leave to git.
                var rules = repository.LoadIgnoreRules();
                streamed = new StreamingCheckout(root, repository._store, path => !rules.IsGitTracked(path));
                string? chosen = null;
                var fetch = await repository.FetchCoreAsync(url, DefaultRemote, options, refs =>
                {
                    chosen = ChooseBranch(refs, clone.Branch, url);
                    repository.SetHeadToBranch(chosen);
                    return RefName.HeadsPrefix + chosen;
                }, clone.AllChunks, streamed, cancellationToken).ConfigureAwait(false);
                streamed.Dispose();

                // The files streamed in are in place and in the stat cache: this checkout finds them by a stat and writes the rest
                // (links, empty files, paths that were taken), refusing as a checkout does to overwrite what is not its own.
                CheckoutResult? checkout = null;
                if (repository._database.GetRef(RefName.RemoteTracking(DefaultRemote, chosen!).FullName) is { } target && repository.Head is null)
                {
                    checkout = repository.FastForwardTo(chosen!, target, $"clone: from {url.Url}", options.Progress, cancellationToken);
                    checkout = checkout with
                    {
                        FilesWritten = checkout.FilesWritten + streamed.FilesWritten,
                        BytesWritten = checkout.BytesWritten + streamed.BytesWritten,
                    };
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
                streamed?.Dispose();
                streamed?.RemovePlaced();
                repository.Dispose();
                RemoveCreated(root, created);
                throw;
            }
            finally
            {
                streamed?.Dispose();
            }
        }
    }

    private static string ChooseBranch(RemoteRefs refs, string? wanted, RemoteUrl url)
    {
        if (wanted is not null)
        {
            return refs.Refs.ContainsKey(RefName.HeadsPrefix + wanted) || refs.Refs.Count == 0
                ? wanted
                : throw new ObjectNotFoundException($"Remote branch '{wanted}' not found in {url.Url}.");
        }

        if (refs.Head is { } head)
        {
            var name = head.StartsWith(RefName.HeadsPrefix, StringComparison.Ordinal) ? head[RefName.HeadsPrefix.Length..] : head;
            if (refs.Refs.ContainsKey(RefName.HeadsPrefix + name) || refs.Refs.Count == 0)
            {
                return name;
            }
        }

        if (refs.Refs.ContainsKey(RefName.HeadsPrefix + DefaultBranch))
        {
            return DefaultBranch;
        }

        return refs.Refs.Keys.Where(k => k.StartsWith(RefName.HeadsPrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            .Select(k => k[RefName.HeadsPrefix.Length..]).FirstOrDefault() ?? DefaultBranch;
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
}
