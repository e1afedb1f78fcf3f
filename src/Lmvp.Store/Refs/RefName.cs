using System.Diagnostics.CodeAnalysis;
using Lmvp.Store.Protocol;

namespace Lmvp.Store;

/// <summary>A full ref name (<c>refs/heads/main</c>, <c>refs/tags/v1</c>, <c>refs/remotes/origin/main</c>) that follows git's
/// check-ref-format rules; the one place that knows the prefixes.</summary>
/// <remarks>
/// The rules (git check-ref-format, for a name with at least two components): no component is empty or starts with '.',
/// none ends with ".lock"; no "..", no "@{", no control character, space, '~', '^', ':', '?', '*', '[' or '\'; the name does
/// not end with '.' or '/'. lmvp adds: at most <see cref="ProtocolLimits.MaxRefLength"/> characters, and a branch or tag's
/// short name is neither "HEAD" nor starts with '-' (it would read as an option).
/// </remarks>
public readonly struct RefName : IEquatable<RefName>, IComparable<RefName>
{
    /// <summary>The prefix of branches.</summary>
    public const string HeadsPrefix = "refs/heads/";

    /// <summary>The prefix of tags.</summary>
    public const string TagsPrefix = "refs/tags/";

    /// <summary>The prefix of remote-tracking branches.</summary>
    public const string RemotesPrefix = "refs/remotes/";

    private const string Prefix = "refs/";

    private readonly string? _fullName;

    private RefName(string fullName)
    {
        _fullName = fullName;
    }

    /// <summary>The full name, <c>refs/...</c>.</summary>
    public string FullName => _fullName ?? throw new InvalidOperationException("An empty RefName has no name.");

    /// <summary>True for <c>refs/heads/...</c>.</summary>
    public bool IsBranch => FullName.StartsWith(HeadsPrefix, StringComparison.Ordinal);

    /// <summary>True for <c>refs/tags/...</c>.</summary>
    public bool IsTag => FullName.StartsWith(TagsPrefix, StringComparison.Ordinal);

    /// <summary>True for <c>refs/remotes/...</c>.</summary>
    public bool IsRemoteTracking => FullName.StartsWith(RemotesPrefix, StringComparison.Ordinal);

    /// <summary>The name without its kind's prefix: <c>main</c>, <c>v1</c>, <c>origin/main</c>.</summary>
    public string ShortName =>
        IsBranch ? FullName[HeadsPrefix.Length..] : IsTag ? FullName[TagsPrefix.Length..] : IsRemoteTracking ? FullName[RemotesPrefix.Length..] : FullName;

    /// <summary>The branch <paramref name="name"/> (<c>refs/heads/NAME</c>); an invalid name is an <see cref="ArgumentException"/>.</summary>
    public static RefName Branch(string name) => Short(HeadsPrefix, name, "branch");

    /// <summary>The tag <paramref name="name"/> (<c>refs/tags/NAME</c>); an invalid name is an <see cref="ArgumentException"/>.</summary>
    public static RefName Tag(string name) => Short(TagsPrefix, name, "tag");

    /// <summary>The remote-tracking branch <c>refs/remotes/REMOTE/BRANCH</c>.</summary>
    public static RefName RemoteTracking(string remote, string branch)
    {
        if (string.IsNullOrEmpty(remote) || remote.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{remote}' is not a valid remote name.", nameof(remote));
        }

        return Short(RemotesPrefix, remote + "/" + branch, "remote-tracking branch");
    }

    /// <summary>Parses a full ref name; an invalid one is an <see cref="ArgumentException"/> that says why.</summary>
    public static RefName Parse(string fullName) =>
        Validate(fullName) is { } reason ? throw new ArgumentException($"'{fullName}' is not a valid ref name: {reason}.", nameof(fullName)) : new RefName(fullName);

    /// <summary>Parses a full ref name, returning false when it breaks a rule.</summary>
    public static bool TryParse([NotNullWhen(true)] string? fullName, out RefName name)
    {
        name = default;
        if (fullName is null || Validate(fullName) is not null)
        {
            return false;
        }

        name = new RefName(fullName);
        return true;
    }

    /// <summary>Null when <paramref name="fullName"/> is a valid full ref name, else why not.</summary>
    public static string? Validate(string? fullName)
    {
        if (string.IsNullOrEmpty(fullName))
        {
            return "it is empty";
        }

        if (fullName.Length > ProtocolLimits.MaxRefLength)
        {
            return $"it is longer than {ProtocolLimits.MaxRefLength} characters";
        }

        if (!fullName.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return "it does not start with refs/";
        }

        foreach (var prefix in (ReadOnlySpan<string>)[HeadsPrefix, TagsPrefix])
        {
            if (fullName.StartsWith(prefix, StringComparison.Ordinal) && ValidateShort(fullName[prefix.Length..]) is { } reason)
            {
                return reason;
            }
        }

        return ValidateComponents(fullName);
    }

    /// <summary>Null when <paramref name="name"/> is valid as a branch or tag's short name, else why not.</summary>
    public static string? ValidateShort(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "it is empty";
        }

        if (name == "HEAD")
        {
            return "HEAD is reserved";
        }

        return name.StartsWith('-') ? "it starts with '-'" : ValidateComponents(name);
    }

    /// <inheritdoc />
    public override string ToString() => _fullName ?? "";

    /// <inheritdoc />
    public bool Equals(RefName other) => string.Equals(_fullName, other._fullName, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is RefName other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _fullName is null ? 0 : StringComparer.Ordinal.GetHashCode(_fullName);

    /// <inheritdoc />
    public int CompareTo(RefName other) => string.CompareOrdinal(_fullName, other._fullName);

    /// <summary>Equality of names.</summary>
    public static bool operator ==(RefName left, RefName right) => left.Equals(right);

    /// <summary>Inequality of names.</summary>
    public static bool operator !=(RefName left, RefName right) => !left.Equals(right);

    /// <summary>Ordinal order of names.</summary>
    public static bool operator <(RefName left, RefName right) => left.CompareTo(right) < 0;

    /// <summary>Ordinal order of names.</summary>
    public static bool operator >(RefName left, RefName right) => left.CompareTo(right) > 0;

    /// <summary>Ordinal order of names.</summary>
    public static bool operator <=(RefName left, RefName right) => left.CompareTo(right) <= 0;

    /// <summary>Ordinal order of names.</summary>
    public static bool operator >=(RefName left, RefName right) => left.CompareTo(right) >= 0;

    private static RefName Short(string prefix, string name, string what)
    {
        ArgumentNullException.ThrowIfNull(name);
        var reason = ValidateShort(name) ?? Validate(prefix + name);
        return reason is null ? new RefName(prefix + name) : throw new ArgumentException($"'{name}' is not a valid {what} name: {reason}.", nameof(name));
    }

    private static string? ValidateComponents(string name)
    {
        if (name == "@")
        {
            return "'@' alone is reserved";
        }

        if (name.EndsWith('/') || name.EndsWith('.'))
        {
            return $"it ends with '{name[^1]}'";
        }

        if (name.Contains("..", StringComparison.Ordinal))
        {
            return "it contains '..'";
        }

        if (name.Contains("@{", StringComparison.Ordinal))
        {
            return "it contains '@{'";
        }

        foreach (var c in name)
        {
            if (c < ' ' || c == '\u007f' || c is ' ' or '~' or '^' or ':' or '?' or '*' or '[' or '\\')
            {
                return c < ' ' || c == '\u007f' ? "it contains a control character" : $"it contains '{c}'";
            }
        }

        foreach (var part in name.Split('/'))
        {
            if (part.Length == 0)
            {
                return "it has an empty component ('//' or a leading '/')";
            }

            if (part.StartsWith('.'))
            {
                return $"a component starts with '.' ('{part}')";
            }

            if (part.EndsWith(".lock", StringComparison.Ordinal))
            {
                return $"a component ends with '.lock' ('{part}')";
            }
        }

        return null;
    }
}
