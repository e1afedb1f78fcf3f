using LibGit2Sharp;

namespace Lmvp.Store.Git;

/// <summary>Reads the training code's git state and the git identity, when the directory is in a git work tree.</summary>
internal static class GitInfo
{
    /// <summary>The provenance and configured author of the git work tree around <paramref name="directory"/>, or nulls.</summary>
    public static (Lmvp.Store.Provenance? Provenance, string? Author) Read(string directory)
    {
        string? gitDir;
        try
        {
            gitDir = LibGit2Sharp.Repository.Discover(directory);
        }
        catch (Exception e) when (e is LibGit2SharpException or TypeInitializationException or DllNotFoundException)
        {
            return (null, null);
        }

        if (gitDir is null)
        {
            return (null, null);
        }

        try
        {
            using var repo = new LibGit2Sharp.Repository(gitDir);
            var name = repo.Config.Get<string>("user.name")?.Value;
            var email = repo.Config.Get<string>("user.email")?.Value;
            var author = name is null ? null : email is null ? name : $"{name} <{email}>";
            if (repo.Info.IsBare || repo.Head.Tip is null)
            {
                return (null, author);
            }

            // Untracked files do not make the code dirty: checkpoints usually sit untracked beside it.
            var dirty = repo.RetrieveStatus(new StatusOptions { IncludeUntracked = false, RecurseUntrackedDirs = false }).IsDirty;
            var branch = repo.Info.IsHeadDetached ? null : repo.Head.FriendlyName;
            var origin = repo.Network.Remotes["origin"]?.Url;
            return (new Lmvp.Store.Provenance(repo.Head.Tip.Sha, branch, dirty, origin), author);
        }
        catch (LibGit2SharpException)
        {
            return (null, null);
        }
    }
}
