using System.Runtime.CompilerServices;
using LibGit2Sharp;

namespace Lmvp.Store.Git;

/// <summary>Reads the training code's git state and the git identity, when the directory is in a git work tree.</summary>
internal static class GitInfo
{
    /// <summary>The pattern <c>lmvp init</c> adds to <c>.git/info/exclude</c>: every lmvp store, at any depth.</summary>
    public const string ExcludePattern = Repository.DirectoryName + "/";

    /// <summary>The provenance and configured author of the git work tree around <paramref name="directory"/>, or nulls.</summary>
    public static (Lmvp.Store.Provenance? Provenance, string? Author) Read(string directory) =>
        MayBeInGitWorkTree(directory) ? ReadCore(directory) : (null, null);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (Lmvp.Store.Provenance? Provenance, string? Author) ReadCore(string directory)
    {
        using var repo = Open(directory);
        if (repo is null)
        {
            return (null, null);
        }

        try
        {
            var name = repo.Config.Get<string>("user.name")?.Value;
            var email = repo.Config.Get<string>("user.email")?.Value;
            var author = name is null ? null : email is null ? name : $"{name} <{email}>";
            if (repo.Info.IsBare || repo.Head.Tip is null)
            {
                return (null, author);
            }

            // Untracked files do not make the code dirty: checkpoints usually sit untracked beside it.
            var status = repo.RetrieveStatus(new StatusOptions { IncludeUntracked = false, RecurseUntrackedDirs = false, IncludeIgnored = false });
            var dirtyFiles = status.Where(e => e.State != FileStatus.Unaltered && e.State != FileStatus.Ignored && e.State != FileStatus.NewInWorkdir)
                .Select(e => e.FilePath.Replace('\\', '/')).Order(StringComparer.Ordinal).ToArray();
            var branch = repo.Info.IsHeadDetached ? null : repo.Head.FriendlyName;
            var origin = repo.Network.Remotes["origin"]?.Url;
            return (new Lmvp.Store.Provenance(repo.Head.Tip.Sha, branch, status.IsDirty, origin) { DirtyFiles = status.IsDirty ? dirtyFiles : [] }, author);
        }
        catch (LibGit2SharpException)
        {
            return (null, null);
        }
    }

    /// <summary>The files git tracks (its index) under <paramref name="root"/>, as slash-separated paths relative to it;
    /// empty when <paramref name="root"/> is not in a git work tree.</summary>
    public static HashSet<string> TrackedFiles(string root) =>
        MayBeInGitWorkTree(root) ? TrackedFilesCore(root) : new HashSet<string>(StringComparer.Ordinal);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static HashSet<string> TrackedFilesCore(string root)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        using var repo = Open(root);
        if (repo is null || repo.Info.IsBare || repo.Info.WorkingDirectory is not { } workDir)
        {
            return result;
        }

        var prefix = Path.GetRelativePath(workDir, root).Replace('\\', '/');
        prefix = prefix == "." ? "" : prefix.TrimEnd('/') + "/";
        try
        {
            foreach (var entry in repo.Index)
            {
                var path = entry.Path.Replace('\\', '/');
                if (path.StartsWith(prefix, StringComparison.Ordinal) && path.Length > prefix.Length)
                {
                    result.Add(path[prefix.Length..]);
                }
            }
        }
        catch (LibGit2SharpException)
        {
            result.Clear();
        }

        return result;
    }

    /// <summary>Adds <see cref="ExcludePattern"/> to the info/exclude file of the git repository around <paramref name="root"/>,
    /// unless it is there; returns the file's path, or null outside a git work tree.</summary>
    public static string? ExcludeRepositoryDirectory(string root) => MayBeInGitWorkTree(root) ? ExcludeRepositoryDirectoryCore(root) : null;

    /// <summary>False when no directory from <paramref name="directory"/> up to / holds a <c>.git</c> (directory or file), where
    /// libgit2's discovery could not find a work tree either: then LibGit2Sharp and libgit2 are never loaded (tens of ms at start).</summary>
    private static bool MayBeInGitWorkTree(string directory)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(directory)); dir is not null; dir = dir.Parent)
        {
            if (Path.Exists(Path.Combine(dir.FullName, ".git")))
            {
                return true;
            }
        }

        return false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string? ExcludeRepositoryDirectoryCore(string root)
    {
        string? gitDir;
        using (var repo = Open(root))
        {
            if (repo is null || repo.Info.IsBare)
            {
                return null;
            }

            gitDir = repo.Info.Path;
        }

        // A linked worktree's git directory points at the shared one, where info/exclude lives.
        var commonDir = Path.Combine(gitDir, "commondir");
        if (File.Exists(commonDir))
        {
            gitDir = Path.GetFullPath(File.ReadAllText(commonDir).Trim(), gitDir);
        }

        var exclude = Path.Combine(gitDir, "info", "exclude");
        var lines = File.Exists(exclude) ? File.ReadAllLines(exclude) : [];
        if (lines.Any(l => l.Trim() is ExcludePattern or ".lmvp" or "/.lmvp" or "/.lmvp/"))
        {
            return exclude;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(exclude)!);
        var text = File.Exists(exclude) ? File.ReadAllText(exclude) : "";
        var separator = text.Length > 0 && !text.EndsWith('\n') ? "\n" : "";
        File.AppendAllText(exclude, $"{separator}# lmvp's store (added by lmvp init)\n{ExcludePattern}\n");
        return exclude;
    }

    private static LibGit2Sharp.Repository? Open(string directory)
    {
        try
        {
            return LibGit2Sharp.Repository.Discover(directory) is { } gitDir ? new LibGit2Sharp.Repository(gitDir) : null;
        }
        catch (Exception e) when (e is LibGit2SharpException or TypeInitializationException or DllNotFoundException)
        {
            return null;
        }
    }
}
