using System.Globalization;
using Lmvp.Store.Graph;

namespace Lmvp.Store.Refs;

/// <summary>The read seam of refs, for resolving revisions: one repository's refs, its HEAD and its commit ids by prefix.</summary>
public interface IRefSource
{
    /// <summary>The commit a full ref name (<c>refs/heads/main</c>) points at, or null when there is no such ref.</summary>
    ValueTask<ObjectId?> GetRefAsync(string fullName, CancellationToken cancellationToken);

    /// <summary>The commit HEAD names (a client's checked-out commit, a server's default branch), or null when there is none yet.</summary>
    ValueTask<ObjectId?> GetHeadAsync(CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="limit"/> commits whose id starts with <paramref name="hexPrefix"/> (lowercase, 4 to 64 digits).</summary>
    ValueTask<IReadOnlyList<ObjectId>> FindCommitsByPrefixAsync(string hexPrefix, int limit, CancellationToken cancellationToken);
}

/// <summary>Turns a revision a person typed into a commit id, the same way for <c>lmvp</c> and for lmvp-server's URLs and API.</summary>
/// <remarks>
/// A revision is a full or unique short id (4+ hex digits), a branch, a tag, a remote-tracking branch (origin/main), a full
/// ref name, or HEAD (also @), each optionally followed by ~N, ~ or ^ (first parent), repeated. Names win over ids, as in git.
/// </remarks>
public static class RevisionResolver
{
    /// <summary>The shortest hex prefix accepted as a commit id.</summary>
    public const int MinPrefixLength = 4;

    /// <summary>Resolves <paramref name="revision"/> to a commit id.</summary>
    /// <exception cref="ObjectNotFoundException">It names nothing, or goes past the first commit.</exception>
    /// <exception cref="AmbiguousRevisionException">A short id matches several commits.</exception>
    public static async ValueTask<ObjectId> ResolveAsync(IRefSource refs, IObjectSource objects, string revision, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(refs);
        ArgumentNullException.ThrowIfNull(objects);
        ArgumentException.ThrowIfNullOrEmpty(revision);
        var (baseName, steps) = SplitAncestry(revision);
        var id = await ResolveBaseAsync(refs, baseName, revision, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < steps; i++)
        {
            var commit = await objects.FindCommitAsync(id, cancellationToken).ConfigureAwait(false)
                ?? throw new ObjectNotFoundException($"Commit {id.ToShortString()} not found.");
            if (commit.Parents.Count == 0)
            {
                throw new ObjectNotFoundException($"Revision '{revision}' goes past the first commit.");
            }

            id = commit.Parents[0];
        }

        return id;
    }

    /// <summary>The synchronous form of <see cref="ResolveAsync"/>.</summary>
    public static ObjectId Resolve(IRefSource refs, IObjectSource objects, string revision) => Synchronously.Wait(ResolveAsync(refs, objects, revision));

    private static async ValueTask<ObjectId> ResolveBaseAsync(IRefSource refs, string name, string revision, CancellationToken cancellationToken)
    {
        if (name is "HEAD" or "@")
        {
            return await refs.GetHeadAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new ObjectNotFoundException("HEAD does not point at a commit yet: make the first commit.");
        }

        foreach (var candidate in new[] { name, RefName.HeadsPrefix + name, RefName.TagsPrefix + name, RefName.RemotesPrefix + name })
        {
            if (RefName.TryParse(candidate, out _) && await refs.GetRefAsync(candidate, cancellationToken).ConfigureAwait(false) is { } target)
            {
                return target;
            }
        }

        if (name.Length >= MinPrefixLength && name.Length <= ObjectId.HexLength && name.All(Uri.IsHexDigit))
        {
            var matches = await refs.FindCommitsByPrefixAsync(name.ToLowerInvariant(), 2, cancellationToken).ConfigureAwait(false);
            if (matches.Count == 1)
            {
                return matches[0];
            }

            if (matches.Count > 1)
            {
                throw new AmbiguousRevisionException($"Short id '{name}' is ambiguous: use more digits.");
            }
        }

        throw new ObjectNotFoundException($"Unknown revision '{revision}'.");
    }

    private static (string Base, int Steps) SplitAncestry(string revision)
    {
        var steps = 0;
        var end = revision.Length;
        while (end > 0)
        {
            if (revision[end - 1] == '^')
            {
                steps++;
                end--;
                continue;
            }

            var tilde = revision.LastIndexOf('~', end - 1);
            if (tilde > 0)
            {
                var digits = revision[(tilde + 1)..end];
                if (digits.Length == 0)
                {
                    steps++;
                    end = tilde;
                    continue;
                }

                if (digits.All(char.IsAsciiDigit) && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                {
                    steps = (int)Math.Min((long)steps + n, int.MaxValue); // never wraps round to "no steps"
                    end = tilde;
                    continue;
                }
            }

            break;
        }

        return (revision[..end], steps);
    }
}
