using System.Text;
using System.Text.RegularExpressions;

namespace Lmvp.Store.WorkingTree;

/// <summary>gitignore-style patterns from <c>.lmvpignore</c>: <c>*</c>, <c>**</c>, <c>?</c>, <c>[...]</c>, a leading
/// <c>/</c> anchors, a trailing <c>/</c> matches directories only, <c>!</c> re-includes, <c>#</c> starts a comment.</summary>
/// <remarks><c>.lmvp</c> and <c>.git</c> are always ignored: one is the repository itself, the other belongs to git.</remarks>
internal sealed class IgnoreRules
{
    /// <summary>The name of the ignore file at the root of the working tree.</summary>
    public const string FileName = ".lmvpignore";

    private readonly List<Rule> _rules = [];

    private IgnoreRules()
    {
    }

    /// <summary>Rules that ignore nothing but the built-in names.</summary>
    public static IgnoreRules Empty { get; } = new();

    /// <summary>Reads <c>.lmvpignore</c> from <paramref name="root"/>, if present.</summary>
    public static IgnoreRules Load(string root)
    {
        var path = Path.Combine(root, FileName);
        return File.Exists(path) ? Parse(File.ReadAllLines(path)) : Empty;
    }

    /// <summary>Parses pattern lines.</summary>
    public static IgnoreRules Parse(IEnumerable<string> lines)
    {
        var rules = new IgnoreRules();
        foreach (var raw in lines)
        {
            var line = raw.TrimEnd('\r');
            if (line.EndsWith(' ') && !line.EndsWith("\\ ", StringComparison.Ordinal))
            {
                line = line.TrimEnd(' ');
            }

            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var negate = false;
            if (line[0] == '!')
            {
                negate = true;
                line = line[1..];
            }
            else if (line.StartsWith("\\!", StringComparison.Ordinal) || line.StartsWith("\\#", StringComparison.Ordinal))
            {
                line = line[1..];
            }

            var directoryOnly = line.EndsWith('/');
            line = line.TrimEnd('/');
            if (line.Length == 0)
            {
                continue;
            }

            var anchored = line.Contains('/', StringComparison.Ordinal);
            line = line.TrimStart('/');
            var regex = new Regex("^" + GlobToRegex(line) + "$", RegexOptions.CultureInvariant | RegexOptions.Singleline);
            rules._rules.Add(new Rule(regex, negate, directoryOnly, anchored));
        }

        return rules;
    }

    /// <summary>True when <paramref name="relativePath"/> (slash-separated) is ignored.</summary>
    public bool IsIgnored(string relativePath, bool isDirectory)
    {
        var name = relativePath[(relativePath.LastIndexOf('/') + 1)..];
        if (name is ".lmvp" or ".git" && relativePath == name)
        {
            return true;
        }

        var ignored = false;
        foreach (var rule in _rules)
        {
            if (rule.DirectoryOnly && !isDirectory)
            {
                continue;
            }

            if (rule.Regex.IsMatch(rule.Anchored ? relativePath : name))
            {
                ignored = !rule.Negate;
            }
        }

        return ignored;
    }

    private static string GlobToRegex(string glob)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            switch (c)
            {
                case '*' when i + 1 < glob.Length && glob[i + 1] == '*':
                    i++;
                    if (i + 1 < glob.Length && glob[i + 1] == '/')
                    {
                        i++;
                        sb.Append("(?:.*/)?");
                    }
                    else
                    {
                        sb.Append(".*");
                    }

                    break;
                case '*':
                    sb.Append("[^/]*");
                    break;
                case '?':
                    sb.Append("[^/]");
                    break;
                case '[':
                    var end = glob.IndexOf(']', i + 1);
                    if (end < 0)
                    {
                        sb.Append("\\[");
                        break;
                    }

                    var set = glob[(i + 1)..end];
                    if (set.StartsWith('!'))
                    {
                        set = "^" + set[1..];
                    }

                    sb.Append('[').Append(set.Replace("\\", "\\\\", StringComparison.Ordinal)).Append(']');
                    i = end;
                    break;
                case '\\' when i + 1 < glob.Length:
                    i++;
                    sb.Append(Regex.Escape(glob[i].ToString()));
                    break;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        return sb.ToString();
    }

    private sealed record Rule(Regex Regex, bool Negate, bool DirectoryOnly, bool Anchored);
}
