using System.Text.RegularExpressions;

namespace Lmvp.Server.Api;

/// <summary>The rule for user and repository names (docs/PROTOCOL.md); ref names follow <see cref="Lmvp.Store.RefName"/>.</summary>
internal static partial class Names
{
    /// <summary>True for a valid user or repository name: <c>[A-Za-z0-9][A-Za-z0-9._-]{0,63}</c>.</summary>
    public static bool IsValid(string? name) => name is not null && NamePattern().IsMatch(name);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
