using Lmvp.Server.Storage;
using Lmvp.Store;
using Lmvp.Store.Graph;

namespace Lmvp.Server.Services.Maintenance;

/// <summary>What a repository's refs reach: chunks, commits, trees and files, found with Lmvp.Store's graph walk.</summary>
internal sealed class Reachability
{
    public HashSet<ObjectId> Chunks { get; } = [];

    public HashSet<ObjectId> Commits { get; } = [];

    public HashSet<ObjectId> Trees { get; } = [];

    public HashSet<ObjectId> Files { get; } = [];

    /// <summary>Commits and trees: the objects a completeness mark can be on.</summary>
    public HashSet<ObjectId> Marked => [.. Commits, .. Trees];

    /// <summary>Adds what <paramref name="tips"/> reach beyond what is known already.</summary>
    /// <exception cref="CorruptObjectException">An object the refs reach is missing or damaged: what is reachable is not known, so
    /// nothing may be deleted.</exception>
    public async Task AddAsync(IObjectSource graph, IEnumerable<ObjectId> tips, CancellationToken cancellationToken)
    {
        var walker = new GraphWalker(graph)
        {
            Skip = (id, kind, _) => ValueTask.FromResult(kind switch
            {
                ObjectKind.Commit => Commits.Contains(id),
                ObjectKind.Tree => Trees.Contains(id),
                _ => Files.Contains(id),
            }),
        };
        await foreach (var node in walker.WalkAsync(tips, cancellationToken).ConfigureAwait(false))
        {
            if (node.IsMissing)
            {
                throw new CorruptObjectException($"{Closure.Describe(node.Kind)} {node.Id.ToShortString()} ({node.Where}) is missing or damaged: "
                    + "run 'lmvp-server admin verify'; nothing was deleted");
            }

            switch (node.Kind)
            {
                case ObjectKind.Commit:
                    Commits.Add(node.Id);
                    break;
                case ObjectKind.Tree:
                    Trees.Add(node.Id);
                    break;
                default:
                    Files.Add(node.Id);
                    foreach (var chunk in node.Manifest!.Chunks)
                    {
                        Chunks.Add(chunk.Id);
                    }

                    break;
            }
        }
    }

    /// <summary>What the current refs of <paramref name="graph"/> reach.</summary>
    public static async Task<Reachability> OfRefsAsync(RepositoryGraph graph, IRefStore refs, CancellationToken cancellationToken)
    {
        var reachability = new Reachability();
        var tips = (await refs.ListRefsAsync(graph.Id, cancellationToken).ConfigureAwait(false)).Select(r => r.Value).ToList();
        await reachability.AddAsync(graph, tips, cancellationToken).ConfigureAwait(false);
        return reachability;
    }
}
