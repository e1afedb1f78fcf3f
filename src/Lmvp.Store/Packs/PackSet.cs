using System.Collections.Concurrent;
using Lmvp.Store.Index;

namespace Lmvp.Store.Packs;

/// <summary>The pack files of a repository, opened on demand and kept open; thread-safe for reads.</summary>
internal sealed class PackSet : IDisposable
{
    private readonly ConcurrentDictionary<long, PackReader> _readers = new();
    private readonly RepositoryDatabase _database;
    private readonly object _lock = new();
    private Dictionary<long, string>? _names;

    public PackSet(string directory, RepositoryDatabase database)
    {
        Directory = directory;
        _database = database;
    }

    /// <summary>The packs directory.</summary>
    public string Directory { get; }

    /// <summary>The reader for a pack id from the index.</summary>
    public PackReader Get(long packId)
    {
        if (_readers.TryGetValue(packId, out var reader))
        {
            return reader;
        }

        lock (_lock)
        {
            if (_readers.TryGetValue(packId, out reader))
            {
                return reader;
            }

            _names ??= _database.ListPacks().ToDictionary(p => p.Id, p => p.Name);
            if (!_names.TryGetValue(packId, out var name))
            {
                _names = _database.ListPacks().ToDictionary(p => p.Id, p => p.Name);
                if (!_names.TryGetValue(packId, out name))
                {
                    throw new CorruptObjectException($"The index names pack #{packId}, which it does not list.");
                }
            }

            var path = Path.Combine(Directory, name);
            if (!File.Exists(path))
            {
                throw new CorruptObjectException($"Pack {name} is missing from {Directory}.");
            }

            reader = PackReader.Open(path);
            _readers[packId] = reader;
            return reader;
        }
    }

    /// <summary>Forgets cached names and closes readers (after gc or an index rebuild).</summary>
    public void Reset()
    {
        lock (_lock)
        {
            foreach (var r in _readers.Values)
            {
                r.Dispose();
            }

            _readers.Clear();
            _names = null;
        }
    }

    /// <summary>Deletes temp packs left by a killed writer.</summary>
    public void RemoveStaleTemporaries(TimeSpan olderThan)
    {
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, PackFormat.TempPrefix + "*" + PackFormat.Extension))
        {
            try
            {
                if (DateTime.UtcNow - File.GetLastWriteTimeUtc(path) > olderThan)
                {
                    File.Delete(path);
                }
            }
            catch (IOException)
            {
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => Reset();
}
