using System.Globalization;
using Lmvp.Store.Index;
using Lmvp.Store.Objects;
using Lmvp.Store.Packs;
using Microsoft.Data.Sqlite;

namespace Lmvp.Store.Maintenance;

/// <summary>Rebuilds the SQLite index from the packs alone, then re-points refs at what it found.</summary>
/// <remarks>
/// Packs are self-describing and hold every chunk and every metadata object (trees, commits, manifests), so a lost or
/// damaged lmvp.db loses only what lives nowhere else: refs, HEAD, config and the stat cache. A damaged database is moved
/// aside (never deleted) and whatever refs, HEAD and config can still be read from it are carried over.
/// Every entry is verified before it is indexed, so a damaged copy is never indexed while a good one exists.
/// </remarks>
internal static class IndexRebuilder
{
    /// <summary>The prefix of branches made for history that no ref names after a rebuild.</summary>
    public const string RecoveredPrefix = "recovered-";

    public static IndexRebuildResult Run(string root, IProgress<ProgressInfo>? progress, CancellationToken cancellationToken)
    {
        var repositoryDirectory = Path.Combine(root, Repository.DirectoryName);
        using var maintenance = MaintenanceLock.Acquire(repositoryDirectory, "rebuild the index");
        var dbPath = Repository.DatabasePath(root);
        var notes = new List<string>();
        string? movedAside = null;
        var recreated = false;
        var salvaged = SalvagedIndex.Empty;
        if (!File.Exists(dbPath))
        {
            recreated = true;
            foreach (var suffix in new[] { "-wal", "-shm" })
            {
                // A write-ahead log without its database would be replayed into the new, empty one.
                if (File.Exists(dbPath + suffix))
                {
                    var aside = dbPath + suffix + ".orphan-" + Stamp();
                    File.Move(dbPath + suffix, aside);
                    notes.Add($"moved {Path.GetFileName(dbPath + suffix)} (left without its database) aside to {Path.GetFileName(aside)}");
                }
            }
        }
        else if (Damage(dbPath) is { } damage)
        {
            recreated = true;
            movedAside = MoveAside(dbPath);
            notes.Add($"the index was damaged ({damage}); moved it aside to {Path.GetFileName(movedAside)}");
            salvaged = RepositoryDatabase.TrySalvage(movedAside);
        }

        using var repository = Repository.Open(root);
        var database = repository.Database;
        var packDirectory = repository.Store.Packs.Directory;

        // An index without a single ref (a fresh one, or one emptied some other way) is recovered like a lost one.
        var recovering = recreated || database.ListRefs("refs/").Count == 0;
        var (packs, damaged) = Reindex(database, packDirectory, progress, cancellationToken);
        repository.Store.Packs.Reset();
        PruneStatCache(database, notes);
        var refs = RepointRefs(database, recovering, salvaged, notes, cancellationToken);
        var objects = database.ListObjectSummaries().GroupBy(o => o.Kind).ToDictionary(g => g.Key, g => (long)g.Count());
        var (chunkCount, _, _) = database.ChunkTotals();
        if (recreated)
        {
            notes.Add("the stat cache starts empty: the next status or commit reads every file once");
        }

        return new IndexRebuildResult(
            movedAside,
            recreated && movedAside is null,
            packs,
            chunkCount,
            objects.GetValueOrDefault(ObjectKind.Commit),
            objects.GetValueOrDefault(ObjectKind.Tree),
            objects.GetValueOrDefault(ObjectKind.Manifest),
            damaged,
            refs.Changes,
            refs.Unreferenced,
            repository.CurrentBranch,
            notes);
    }

    /// <summary>What is wrong with the database file, or null when it opens and passes SQLite's check.</summary>
    private static string? Damage(string dbPath)
    {
        try
        {
            using var db = RepositoryDatabase.Open(dbPath, create: false);
            var check = db.QuickCheck();
            return check == "ok" ? null : check;
        }
        catch (CorruptObjectException e)
        {
            return e.InnerException?.Message ?? e.Message;
        }
        catch (SqliteException e)
        {
            return e.Message;
        }
    }

    private static string MoveAside(string dbPath)
    {
        var aside = dbPath + ".corrupt-" + Stamp();
        for (var n = 2; File.Exists(aside); n++)
        {
            aside = dbPath + ".corrupt-" + Stamp() + "-" + n.ToString(CultureInfo.InvariantCulture);
        }

        File.Move(dbPath, aside);
        foreach (var suffix in new[] { "-wal", "-shm" })
        {
            // Named so SQLite still pairs the log with the moved file when someone opens it to look.
            if (File.Exists(dbPath + suffix))
            {
                File.Move(dbPath + suffix, aside + suffix);
            }
        }

        FileSystemSync.FlushDirectory(Path.GetDirectoryName(dbPath)!);
        return aside;
    }

    private static string Stamp() => DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Replaces every pack and chunk row, and adds every object, from verified pack entries, in one transaction.</summary>
    private static (int Packs, IReadOnlyList<string> Damaged) Reindex(RepositoryDatabase database, string packDirectory, IProgress<ProgressInfo>? progress, CancellationToken cancellationToken)
    {
        var names = Directory.Exists(packDirectory)
            ? Directory.EnumerateFiles(packDirectory, "*" + PackFormat.Extension).Select(p => Path.GetFileName(p))
                .Where(n => !n.StartsWith(PackFormat.TempPrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList()
            : [];
        var total = names.Sum(n => new FileInfo(Path.Combine(packDirectory, n)).Length);
        long done = 0;
        progress?.Report(new ProgressInfo("rebuild-index", 0, total));

        // Corrupt objects already in the index are replaced by verified pack copies; good ones stay even if no pack holds them.
        var corrupt = new HashSet<ObjectId>();
        foreach (var (id, kind, data) in database.ListObjects())
        {
            if (!Decodes(id, kind, data))
            {
                corrupt.Add(id);
            }
        }

        var damaged = new List<string>();
        var packs = 0;
        database.InTransaction(() =>
        {
            database.ClearPacksAndChunks();
            foreach (var name in names)
            {
                var verification = PackVerifier.Verify(Path.Combine(packDirectory, name), (entry, raw) =>
                {
                    if (corrupt.Remove(entry.Id))
                    {
                        database.ReplaceObject(entry.Id, entry.Kind, raw);
                    }
                    else
                    {
                        database.PutObject(entry.Id, entry.Kind, raw);
                    }
                }, n =>
                {
                    done += n;
                    progress?.Report(new ProgressInfo("rebuild-index", done, total));
                }, cancellationToken);
                var bad = verification.Entries.Count(e => !e.IsOk);
                if (!verification.IsOk)
                {
                    var first = verification.StructureErrors.FirstOrDefault()
                        ?? verification.Entries.Where(e => !e.IsOk).Select(e => $"entry at offset {e.Entry.Offset}: {e.Error}").First();
                    damaged.Add($"{name}: {first}" + (bad > 0 ? $" ({bad} damaged entr{(bad == 1 ? "y" : "ies")} skipped)" : ""));
                }

                var good = verification.Entries.Where(e => e.IsOk).Select(e => e.Entry).ToList();
                if (good.Count == 0 && !verification.TrailerOk)
                {
                    continue; // nothing readable: leave the file for a person to look at, but index nothing from it
                }

                var packId = database.AddPack(name, verification.Length);
                database.InsertChunks(packId, good.Where(e => e.Kind == ObjectKind.Chunk));
                packs++;
            }
        });
        return (packs, damaged);
    }

    /// <summary>Drops stat-cache entries whose file can no longer be read whole: a commit would otherwise reuse them unread.</summary>
    private static void PruneStatCache(RepositoryDatabase database, List<string> notes)
    {
        var cache = database.LoadStatCache();
        var complete = new Dictionary<ObjectId, bool>();
        var keep = cache.Where(kv =>
        {
            if (!complete.TryGetValue(kv.Value.FileId, out var ok))
            {
                ok = database.TryGetObject(kv.Value.FileId, ObjectKind.Manifest, out var data)
                    && Decodes(kv.Value.FileId, ObjectKind.Manifest, data) && FileManifest.Decode(data, kv.Value.FileId).Chunks.All(c => database.HasChunk(c.Id));
                complete[kv.Value.FileId] = ok;
            }

            return ok;
        }).ToList();
        if (keep.Count != cache.Count)
        {
            database.ReplaceStatCache(keep);
            notes.Add($"dropped {cache.Count - keep.Count} stat-cache entr{(cache.Count - keep.Count == 1 ? "y" : "ies")} whose content the packs no longer hold whole: the next commit reads those files again");
        }
    }

    private static bool Decodes(ObjectId id, ObjectKind kind, byte[] data)
    {
        try
        {
            switch (kind)
            {
                case ObjectKind.Tree:
                    Tree.Decode(data, id);
                    return true;
                case ObjectKind.Commit:
                    Commit.Decode(data, id);
                    return true;
                case ObjectKind.Manifest:
                    FileManifest.Decode(data, id);
                    return true;
                default:
                    return false;
            }
        }
        catch (CorruptObjectException)
        {
            return false;
        }
    }

    /// <summary>Carries over salvaged refs, checks existing ones, and points branches at head commits no ref names.</summary>
    private static (IReadOnlyList<RefRecovery> Changes, IReadOnlyList<ObjectId> Unreferenced) RepointRefs(RepositoryDatabase database, bool recovering,
        SalvagedIndex salvaged, List<string> notes, CancellationToken cancellationToken)
    {
        var commits = new Dictionary<ObjectId, Commit>();
        foreach (var (id, data) in database.ListObjectsOfKind(ObjectKind.Commit))
        {
            try
            {
                commits[id] = Commit.Decode(data, id);
            }
            catch (CorruptObjectException)
            {
            }
        }

        var changes = new List<RefRecovery>();
        var unreferenced = new List<ObjectId>();
        using var message = database.ReflogMessage("fsck --rebuild-index");
        database.InTransaction(() =>
        {
            foreach (var (key, value) in salvaged.Config)
            {
                database.SetConfig(key, value);
            }

            if (salvaged.Config.Count > 0)
            {
                notes.Add($"carried over {salvaged.Config.Count} config setting{(salvaged.Config.Count == 1 ? "" : "s")} from the damaged index");
            }

            // Without these, the chunks a partial clone left on the remote would read as damage instead of promised.
            foreach (var remote in salvaged.Promised.GroupBy(p => p.Value, StringComparer.Ordinal))
            {
                database.AddPromisedFiles(remote.Select(p => p.Key), remote.Key);
                notes.Add($"carried over the remote '{remote.Key}' as the source of the missing chunks of {remote.Count()} file{(remote.Count() == 1 ? "" : "s")}");
            }

            foreach (var (name, target) in salvaged.Refs)
            {
                if (commits.ContainsKey(target) && RefName.TryParse(name, out _))
                {
                    database.SetRef(name, target);
                    changes.Add(new RefRecovery(name, target, RefRecoveryKind.Salvaged));
                }
                else
                {
                    changes.Add(new RefRecovery(name, target, RefRecoveryKind.Dangling));
                }
            }

            var head = salvaged.Head ?? database.GetMeta("HEAD");
            if (head is null || !(head.StartsWith("ref: " + RefName.HeadsPrefix, StringComparison.Ordinal)
                || (ObjectId.TryParse(head, out var detached) && commits.ContainsKey(detached))))
            {
                head = "ref: " + RefName.HeadsPrefix + Repository.DefaultBranch;
            }

            database.SetMeta("HEAD", head);
            if (!recovering)
            {
                foreach (var (name, target) in database.ListRefs("refs/"))
                {
                    changes.Add(new RefRecovery(name, target, commits.ContainsKey(target) ? RefRecoveryKind.Kept : RefRecoveryKind.Dangling));
                }
            }

            // Heads: commits no other commit names as parent. Those no valid ref reaches need a branch, or gc would drop them.
            var reachable = new HashSet<ObjectId>();
            var starts = database.ListRefs("refs/").Select(r => r.Value).Where(commits.ContainsKey).ToList();
            if (ObjectId.TryParse(head, out var headId))
            {
                starts.Add(headId);
            }

            var stack = new Stack<ObjectId>(starts);
            while (stack.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var id = stack.Pop();
                if (reachable.Add(id) && commits.TryGetValue(id, out var c))
                {
                    foreach (var p in c.Parents)
                    {
                        stack.Push(p);
                    }
                }
            }

            var parents = commits.Values.SelectMany(c => c.Parents).ToHashSet();
            var heads = commits.Values.Where(c => !parents.Contains(c.Id) && !reachable.Contains(c.Id))
                .OrderByDescending(c => c.Time).ThenByDescending(c => c.Id).Select(c => c.Id).ToList();
            var headRef = head.StartsWith("ref: ", StringComparison.Ordinal) ? head[5..] : null;
            if (headRef is not null && heads.Count > 0 && (database.GetRef(headRef) is not { } current || !commits.ContainsKey(current)))
            {
                database.SetRef(headRef, heads[0]);
                changes.Add(new RefRecovery(headRef, heads[0], RefRecoveryKind.NewestHead));
                heads.RemoveAt(0);
            }

            foreach (var id in heads)
            {
                if (recovering)
                {
                    var name = RefName.HeadsPrefix + RecoveredPrefix + id.ToShortString();
                    database.SetRef(name, id);
                    changes.Add(new RefRecovery(name, id, RefRecoveryKind.OtherHead));
                }
                else
                {
                    unreferenced.Add(id);
                }
            }
        });
        return (changes, unreferenced);
    }
}
