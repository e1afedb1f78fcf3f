using System.Text;
using System.Text.RegularExpressions;

namespace Lmvp.Store.WorkingTree;

/// <summary>gitignore-style patterns from <c>.lmvpignore</c>: <c>*</c>, <c>**</c>, <c>?</c>, <c>[...]</c>, a leading
/// <c>/</c> anchors, a trailing <c>/</c> matches directories only, <c>!</c> re-includes, <c>#</c> starts a comment.</summary>
/// <remarks><c>.lmvp</c> and <c>.git</c> are always ignored, at any depth: one is a repository's store, the other belongs to git.
/// Files that git tracks can be left out too (<see cref="WithGitTracked"/>): their version is the git commit in the provenance.</remarks>
internal sealed class IgnoreRules
{
    /// <summary>The name of the ignore file at the root of the working tree.</summary>
    public const string FileName = ".lmvpignore";

    /// <summary>Why a path tracked by git is left out.</summary>
    public const string GitTrackedReason = "tracked by git";

    private readonly List<Rule> _rules = [];
    private IReadOnlySet<string> _gitTracked = new HashSet<string>();

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

    /// <summary>These rules, also leaving out <paramref name="gitTracked"/> (slash-separated paths of files that git tracks).</summary>
    public IgnoreRules WithGitTracked(IReadOnlySet<string> gitTracked)
    {
        var copy = new IgnoreRules { _gitTracked = gitTracked };
        copy._rules.AddRange(_rules);
        return copy;
    }

    /// <summary>How many files these rules leave to git.</summary>
    public int GitTrackedCount => _gitTracked.Count;

    /// <summary>True when <paramref name="relativePath"/> is a file git tracks and these rules leave it to git.</summary>
    public bool IsGitTracked(string relativePath) => _gitTracked.Contains(relativePath);

    /// <summary>Parses pattern lines.</summary>
    public static IgnoreRules Parse(IEnumerable<string> lines)
    {
        var rules = new IgnoreRules();
        var number = 0;
        foreach (var raw in lines)
        {
            number++;
            var line = raw.TrimEnd('\r');
            var end = line.Length;
            while (end > 0 && line[end - 1] == ' ' && !(end > 1 && line[end - 2] == '\\'))
            {
                end--; // trailing spaces go, unless escaped with a backslash
            }

            line = line[..end];

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
            Regex regex;
            try
            {
                regex = new Regex("^" + GlobToRegex(line) + "$", RegexOptions.CultureInvariant | RegexOptions.Singleline);
            }
            catch (ArgumentException)
            {
                throw new LmvpException($"Invalid pattern '{raw.Trim()}' in {FileName} (a character range in reverse order?).");
            }

            rules._rules.Add(new Rule(regex, negate, directoryOnly, anchored, number, raw.Trim()));
        }

        return rules;
    }

    /// <summary>True for the names never snapshotted and never written by checkout: <c>.lmvp</c> and <c>.git</c>.</summary>
    public static bool IsRepositoryDirectoryName(string name) => name is Repository.DirectoryName or ".git";

    /// <summary>True when <paramref name="relativePath"/> (slash-separated) is ignored.</summary>
    public bool IsIgnored(string relativePath, bool isDirectory) => Explain(relativePath, isDirectory) is not null;

    /// <summary>Why <paramref name="relativePath"/> is ignored ("built in", "tracked by git", ".lmvpignore:3: *.tmp"), or null when it is not.</summary>
    public string? Explain(string relativePath, bool isDirectory)
    {
        var name = relativePath[(relativePath.LastIndexOf('/') + 1)..];
        if (IsRepositoryDirectoryName(name))
        {
            return "built in"; // at any depth: a nested repository's store is never part of a snapshot
        }

        Rule? decided = null;
        foreach (var rule in _rules)
        {
            if (rule.DirectoryOnly && !isDirectory)
            {
                continue;
            }

            if (rule.Regex.IsMatch(rule.Anchored ? relativePath : name))
            {
                decided = rule;
            }
        }

        if (decided is { Negate: false })
        {
            return $"{FileName}:{decided.Line}: {decided.Pattern}";
        }

        return !isDirectory && _gitTracked.Contains(relativePath) ? GitTrackedReason : null;
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
                    var start = i + 1;
                    var negate = start < glob.Length && glob[start] is '!' or '^';
                    if (negate)
                    {
                        start++;
                    }

                    // As in fnmatch, a ']' first in the set is a member, not its end.
                    var end = glob.IndexOf(']', start < glob.Length && glob[start] == ']' ? start + 1 : start);
                    if (end < 0)
                    {
                        sb.Append("\\[");
                        break;
                    }

                    sb.Append(negate ? "[^" : "[");
                    foreach (var member in glob[start..end])
                    {
                        // Only ranges keep a meaning; characters special to a regex set are taken literally.
                        sb.Append(member is '\\' or '[' or ']' or '^' ? "\\" + member : member.ToString());
                    }

                    sb.Append(']');
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

    private sealed record Rule(Regex Regex, bool Negate, bool DirectoryOnly, bool Anchored, int Line, string Pattern);
}
