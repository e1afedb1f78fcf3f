using System.Globalization;

namespace Lmvp.Store.Sync;

/// <summary>Brings in, on demand, the chunks a partial clone or fetch left on the remote: before checkout, restore or a read
/// uses files, their missing chunks are downloaded from the remote that promised them, verified, and kept.</summary>
/// <remarks>A fetch records, for every file it received, the remote it came from (a server keeps a file only with all its
/// chunks). A missing chunk no remote promises is damage, left for the reader to report as before.</remarks>
internal sealed class PromisedChunks(Repository repository)
{
    /// <summary>Makes every chunk of <paramref name="files"/> present, fetching what is missing from the remotes that promise it.</summary>
    /// <param name="files">The files about to be read, with their paths when known (for messages).</param>
    /// <param name="action">What the caller is doing, for messages: "check out", "read".</param>
    /// <param name="cancellationToken">Stops the download between batches; what arrived is kept.</param>
    public void EnsurePresent(IReadOnlyList<(string? Path, FileManifest Manifest)> files, string action, CancellationToken cancellationToken)
    {
        if (files.Count == 0)
        {
            return;
        }

        var database = repository.Database;
        var ids = new List<ObjectId>();
        var seen = new HashSet<ObjectId>();
        foreach (var (_, manifest) in files)
        {
            foreach (var c in manifest.Chunks)
            {
                if (seen.Add(c.Id))
                {
                    ids.Add(c.Id);
                }
            }
        }

        var present = database.FindExistingChunks(ids);
        if (present.Count == ids.Count)
        {
            return;
        }

        // What each remote is asked for; a file with missing chunks no remote promises is left to fail where it is read.
        var byRemote = new Dictionary<string, List<(string? Path, FileManifest Manifest, long Missing, int Count)>>(StringComparer.Ordinal);
        foreach (var (path, manifest) in files)
        {
            var lacking = manifest.Chunks.Where(c => !present.Contains(c.Id)).DistinctBy(c => c.Id).ToList();
            if (lacking.Count == 0 || database.GetPromisingRemote(manifest.FileId) is not { } remote)
            {
                continue;
            }

            if (!byRemote.TryGetValue(remote, out var list))
            {
                byRemote[remote] = list = [];
            }

            list.Add((path, manifest, lacking.Sum(c => (long)c.Length), lacking.Count));
        }

        foreach (var (remote, list) in byRemote)
        {
            var chunks = list.Sum(f => f.Count);
            var bytes = list.Sum(f => f.Missing);
            var what = Describe(list[0].Path, list[0].Manifest, list.Count, action, chunks, bytes);
            var url = database.GetConfig($"remote.{remote}.url")
                ?? throw new ObjectNotFoundException($"{what}; they would come from remote '{remote}', which is no longer configured (add it back with 'lmvp remote add {remote} URL').");
            try
            {
                // The callers are synchronous (checkout); the download runs on the pool so no context can deadlock it.
                Task.Run(() => repository.DownloadPromisedAsync(url, list.ConvertAll(f => f.Manifest), cancellationToken), cancellationToken).GetAwaiter().GetResult();
            }
            catch (AuthenticationFailedException e)
            {
                throw new AuthenticationFailedException($"{what}; they would come from {remote} ({url}): {e.Message}", e);
            }
            catch (RemoteException e)
            {
                throw new RemoteException($"{what}; they would come from {remote} ({url}): {e.Message}", e);
            }
        }
    }

    private static string Describe(string? path, FileManifest first, int files, string action, int chunks, long bytes)
    {
        var subject = path ?? $"file {first.FileId.ToShortString()}";
        var others = files > 1 ? $" and {files - 1} other file{(files == 2 ? "" : "s")}" : "";
        return $"Cannot {action} {subject}{others}: {chunks} chunk{(chunks == 1 ? "" : "s")} ({FormatBytes(bytes)}) {(chunks == 1 ? "is" : "are")} not in this repository";
    }

    /// <summary>Bytes for a person, in binary units (as the CLI prints them).</summary>
    internal static string FormatBytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.00} GiB"),
    };
}
