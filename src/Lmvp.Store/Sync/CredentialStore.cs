using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lmvp.Store.Sync;

/// <summary>The tokens saved by <c>lmvp login</c>, one per server, in the user's config file (created 0600).</summary>
/// <remarks>
/// The file is <c>$LMVP_CONFIG_DIR/credentials.json</c>, else <c>$XDG_CONFIG_HOME/lmvp/credentials.json</c>, else
/// <c>~/.config/lmvp/credentials.json</c>: <c>{"servers": {"http://host:8080": {"token": "..."}}}</c>.
/// The <c>LMVP_TOKEN</c> environment variable, when set, overrides every saved token.
/// </remarks>
public sealed class CredentialStore
{
    /// <summary>The environment variable whose token overrides the saved ones.</summary>
    public const string TokenVariable = "LMVP_TOKEN";

    /// <summary>The environment variable naming the config directory (tests use it to stay isolated).</summary>
    public const string ConfigDirectoryVariable = "LMVP_CONFIG_DIR";

    private const string FileName = "credentials.json";

    /// <summary>Uses the file in <paramref name="directory"/>; <paramref name="environmentToken"/> overrides it when not empty.</summary>
    public CredentialStore(string directory, string? environmentToken = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = Path.GetFullPath(directory);
        EnvironmentToken = string.IsNullOrEmpty(environmentToken) ? null : environmentToken.Trim();
    }

    /// <summary>The store of the current user and process environment.</summary>
    public static CredentialStore Default => FromEnvironment(Environment.GetEnvironmentVariable);

    /// <summary>The config directory.</summary>
    public string Directory { get; }

    /// <summary>The credentials file.</summary>
    public string FilePath => Path.Combine(Directory, FileName);

    /// <summary>The token from <c>LMVP_TOKEN</c>, which wins over saved tokens, or null.</summary>
    public string? EnvironmentToken { get; }

    /// <summary>The store that <paramref name="getVariable"/> (an environment) points at.</summary>
    public static CredentialStore FromEnvironment(Func<string, string?> getVariable)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        string directory;
        if (getVariable(ConfigDirectoryVariable) is { Length: > 0 } configured)
        {
            directory = configured;
        }
        else if (getVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg)
        {
            directory = Path.Combine(xdg, "lmvp");
        }
        else
        {
            var home = getVariable("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            directory = Path.Combine(home, ".config", "lmvp");
        }

        return new CredentialStore(directory, getVariable(TokenVariable));
    }

    /// <summary>The form server URLs are saved under: scheme and host in lower case, no trailing slash; anything else is an <see cref="ArgumentException"/>.</summary>
    public static string NormalizeServer(string server) => RemoteUrl.NormalizeServer(server);

    /// <summary>The token to send to the repository or server at <paramref name="url"/>: <c>LMVP_TOKEN</c>, else the saved
    /// token of the longest saved server URL that <paramref name="url"/> starts with, else null.</summary>
    public string? GetToken(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (EnvironmentToken is not null)
        {
            return EnvironmentToken;
        }

        var target = RemoteUrl.NormalizeServer(url);
        string? best = null;
        string? token = null;
        foreach (var (server, saved) in Load())
        {
            if ((target == server || target.StartsWith(server + "/", StringComparison.Ordinal)) && (best is null || server.Length > best.Length))
            {
                best = server;
                token = saved;
            }
        }

        return token;
    }

    /// <summary>Saves <paramref name="token"/> for <paramref name="server"/>, replacing an older one; the file is written atomically with mode 0600.</summary>
    public void SaveToken(string server, string token)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        if (token.Any(char.IsControl) || token.Contains(' ', StringComparison.Ordinal))
        {
            throw new ArgumentException("A token is one word without spaces or control characters.", nameof(token));
        }

        var key = RemoteUrl.NormalizeServer(server);
        var all = Load();
        all[key] = token.Trim();
        Save(all);
    }

    /// <summary>Forgets the token of <paramref name="server"/>; true if there was one.</summary>
    public bool RemoveToken(string server)
    {
        var all = Load();
        if (!all.Remove(RemoteUrl.NormalizeServer(server)))
        {
            return false;
        }

        Save(all);
        return true;
    }

    /// <summary>The servers with a saved token, in order.</summary>
    public IReadOnlyList<string> ListServers() => Load().Keys.Order(StringComparer.Ordinal).ToList();

    private Dictionary<string, string> Load()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        string text;
        try
        {
            text = File.ReadAllText(FilePath);
        }
        catch (FileNotFoundException)
        {
            return result;
        }
        catch (DirectoryNotFoundException)
        {
            return result;
        }

        try
        {
            if (JsonNode.Parse(text)?["servers"] is JsonObject servers)
            {
                foreach (var (server, value) in servers)
                {
                    if (value?["token"]?.GetValueKind() == JsonValueKind.String && value["token"]!.GetValue<string>() is { Length: > 0 } token)
                    {
                        result[server] = token;
                    }
                }
            }
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1}" : "";
            throw new LmvpException($"{FilePath} is not valid JSON{where}; fix or delete it and run 'lmvp login' again.", e);
        }

        return result;
    }

    private void Save(Dictionary<string, string> all)
    {
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(Directory);
        }
        else
        {
            System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var servers = new JsonObject();
        foreach (var (server, token) in all.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            servers[server] = new JsonObject { ["token"] = token };
        }

        var json = new JsonObject { ["servers"] = servers }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var temp = Path.Combine(Directory, $".{FileName}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                // Created 0600 from the first byte: a token must never be readable by others, not even for an instant.
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temp, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(json);
                writer.Write('\n');
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, FilePath, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
