using System.Text.RegularExpressions;

namespace Lmvp.Server.Api;

/// <summary>The rules for user and repository names and ref names (docs/PROTOCOL.md).</summary>
internal static partial class Names
{
    /// <summary>The longest ref name accepted.</summary>
    public const int MaxRefLength = 255;

    public const string HeadsPrefix = "refs/heads/";
    public const string TagsPrefix = "refs/tags/";

    /// <summary>True for a valid user or repository name: <c>[A-Za-z0-9][A-Za-z0-9._-]{0,63}</c>.</summary>
    public static bool IsValid(string? name) => name is not null && NamePattern().IsMatch(name);

    /// <summary>Null when <paramref name="name"/> is a valid branch or tag ref, else why not.</summary>
    public static string? ValidateRef(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxRefLength)
        {
            return "a ref name is required (at most 255 characters)";
        }

        string rest;
        if (name.StartsWith(HeadsPrefix, StringComparison.Ordinal))
        {
            rest = name[HeadsPrefix.Length..];
        }
        else if (name.StartsWith(TagsPrefix, StringComparison.Ordinal))
        {
            rest = name[TagsPrefix.Length..];
        }
        else
        {
            return $"'{name}' is not a branch or tag (refs/heads/... or refs/tags/...)";
        }

        try
        {
            Lmvp.Store.Repository.ValidateRefName(rest, "ref");
            return null;
        }
        catch (ArgumentException)
        {
            return $"'{name}' is not a valid ref name";
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
