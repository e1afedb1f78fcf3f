using Lmvp.Server.Storage;
using Lmvp.Store;

namespace Lmvp.Server.Services;

/// <summary>Which branches of a repository are protected: a non-fast-forward move (a force push, a restore) or a deletion of one
/// needs the admin role. Unless a repository sets its own list, its default branch is protected.</summary>
/// <remarks>A pattern is a branch name in which <c>*</c> stands for any characters within one name component and <c>**</c> for any
/// characters across components (<c>release/*</c>, <c>team/**</c>), as in GitHub's branch rules.</remarks>
internal sealed class BranchProtection(IRepositoryStore repositories)
{
    /// <summary>The most patterns one repository may set.</summary>
    public const int MaxPatterns = 100;

    /// <summary>The patterns in force for <paramref name="repository"/>, and whether they are the default (its default branch).</summary>
    public async Task<(IReadOnlyList<string> Patterns, bool IsDefault)> GetAsync(RepositoryRecord repository, CancellationToken cancellationToken)
    {
        var set = await repositories.GetProtectedBranchesAsync(repository.Id, cancellationToken).ConfigureAwait(false);
        return set is null ? ([repository.DefaultBranch], true) : (set, false);
    }

    /// <summary>True when the branch <paramref name="branch"/> (a short name) is protected in <paramref name="repository"/>.</summary>
    public async Task<bool> IsProtectedAsync(RepositoryRecord repository, string branch, CancellationToken cancellationToken)
    {
        var (patterns, _) = await GetAsync(repository, cancellationToken).ConfigureAwait(false);
        return patterns.Any(p => Matches(p, branch));
    }

    /// <summary>Sets the protected branches of <paramref name="repository"/> (null: back to the default); null when done, else why the
    /// list is refused.</summary>
    public async Task<string?> SetAsync(RepositoryRecord repository, IReadOnlyList<string>? patterns, CancellationToken cancellationToken)
    {
        if (patterns is not null)
        {
            if (patterns.Count > MaxPatterns)
            {
                return $"at most {MaxPatterns} protected branch patterns";
            }

            if (patterns.Select(Validate).FirstOrDefault(e => e is not null) is { } error)
            {
                return error;
            }
        }

        await repositories.SetProtectedBranchesAsync(repository.Id, patterns?.Distinct(StringComparer.Ordinal).ToList(), cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>Null when <paramref name="pattern"/> is a valid branch pattern, else why not.</summary>
    public static string? Validate(string? pattern)
    {
        if (string.IsNullOrEmpty(pattern))
        {
            return "a pattern is empty";
        }

        // With every wildcard read as a letter, a pattern must be a valid branch name.
        return RefName.ValidateShort(pattern.Replace('*', 'x')) is { } reason ? $"'{pattern}' is not a branch name or pattern: {reason}" : null;
    }

    /// <summary>True when <paramref name="branch"/> matches <paramref name="pattern"/>.</summary>
    public static bool Matches(string pattern, string branch) => Matches(pattern.AsSpan(), branch.AsSpan());

    private static bool Matches(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        while (pattern.Length > 0)
        {
            if (pattern[0] == '*')
            {
                var across = pattern.Length > 1 && pattern[1] == '*';
                var rest = pattern[(across ? 2 : 1)..];
                for (var i = 0; i <= text.Length; i++)
                {
                    if (Matches(rest, text[i..]))
                    {
                        return true;
                    }

                    if (i < text.Length && text[i] == '/' && !across)
                    {
                        return false;
                    }
                }

                return false;
            }

            if (text.Length == 0 || pattern[0] != text[0])
            {
                return false;
            }

            pattern = pattern[1..];
            text = text[1..];
        }

        return text.Length == 0;
    }
}
