using Lmvp.Store.Sync;

namespace Lmvp.Store;

public sealed partial class Repository
{
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

            using var message = _database.ReflogMessage($"remote: removed {name}");
            foreach (var (refName, _) in _database.ListRefs($"{RefName.RemotesPrefix}{name}/"))
            {
                _database.DeleteRef(refName);
            }
        });
    }

    private static string RemoteKey(string name) => RemoteKeyPrefix + name + RemoteUrlSuffix;

    private static void ValidateRemoteName(string name)
    {
        if (name.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{name}' is not a valid remote name: it must not contain '/'.", nameof(name));
        }

        if (RefName.ValidateShort(name) is { } reason)
        {
            throw new ArgumentException($"'{name}' is not a valid remote name: {reason}.", nameof(name));
        }
    }
}
