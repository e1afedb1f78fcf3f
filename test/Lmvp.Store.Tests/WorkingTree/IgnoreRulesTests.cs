using Lmvp.Store.WorkingTree;
using Lmvp.Testing;

namespace Lmvp.Store.Tests.WorkingTree;

public class IgnoreRulesTests
{
    private static bool File(string patterns, string path) => IgnoreRules.Parse(patterns.Split('\n')).IsIgnored(path, isDirectory: false);

    private static bool Dir(string patterns, string path) => IgnoreRules.Parse(patterns.Split('\n')).IsIgnored(path, isDirectory: true);

    [TestCase("*.bin", "a.bin", true)]
    [TestCase("*.bin", "deep/er/a.bin", true)]
    [TestCase("*.bin", "a.bin.txt", false)]
    [TestCase("*.bin", "a_bin", false)]
    [TestCase("*", "anything", true)]
    [TestCase("a*c", "abbbc", true)]
    [TestCase("a*c", "ac", true)]
    [TestCase("a*c", "ab/c", false)]
    [TestCase("model-?.pt", "model-1.pt", true)]
    [TestCase("model-?.pt", "model-12.pt", false)]
    [TestCase("model-?.pt", "model-.pt", false)]
    [TestCase("[abc].txt", "b.txt", true)]
    [TestCase("[abc].txt", "d.txt", false)]
    [TestCase("[a-c]x", "bx", true)]
    [TestCase("[a-c]x", "dx", false)]
    [TestCase("[!abc].txt", "d.txt", true)]
    [TestCase("[!abc].txt", "a.txt", false)]
    [TestCase("[^abc].txt", "d.txt", true)]
    [TestCase("a.b", "axb", false)]
    [TestCase("(x)+", "(x)+", true)]
    [TestCase("(x)+", "xx", false)]
    [TestCase("$^{}|", "$^{}|", true)]
    public void Glob_MatchesFileNamesLikeGitignore(string pattern, string path, bool ignored) =>
        File(pattern, path).Should().Be(ignored);

    [TestCase("/root.txt", "root.txt", true)]
    [TestCase("/root.txt", "sub/root.txt", false)]
    [TestCase("doc/*.txt", "doc/a.txt", true)]
    [TestCase("doc/*.txt", "doc/sub/a.txt", false)]
    [TestCase("doc/*.txt", "x/doc/a.txt", false)]
    [TestCase("a/*/c", "a/b/c", true)]
    [TestCase("a/*/c", "a/b/d/c", false)]
    [TestCase("**/cache.db", "cache.db", true)]
    [TestCase("**/cache.db", "a/b/cache.db", true)]
    [TestCase("**/cache.db", "a/b/cache.dbx", false)]
    [TestCase("out/**", "out/a", true)]
    [TestCase("out/**", "out/a/b", true)]
    [TestCase("out/**", "outside/a", false)]
    [TestCase("a/**/b", "a/b", true)]
    [TestCase("a/**/b", "a/x/b", true)]
    [TestCase("a/**/b", "a/x/y/b", true)]
    [TestCase("a/**/b", "b", false)]
    [TestCase("a/**/b", "x/a/b", false)]
    [TestCase("name", "deep/in/name", true)]
    public void Slashes_AnchorPatternsToTheRoot(string pattern, string path, bool ignored) =>
        File(pattern, path).Should().Be(ignored);

    [Test]
    public void DoubleStarDirectory_DoesNotIgnoreTheDirectoryItself()
    {
        Dir("out/**", "out").Should().BeFalse();
        Dir("out/**", "out/sub").Should().BeTrue();
    }

    [Test]
    public void TrailingSlash_MatchesDirectoriesOnly_AtAnyDepth()
    {
        Dir("logs/", "logs").Should().BeTrue();
        Dir("logs/", "a/b/logs").Should().BeTrue();
        File("logs/", "logs").Should().BeFalse();
        Dir("/logs/", "logs").Should().BeTrue();
        Dir("/logs/", "a/logs").Should().BeFalse();
    }

    [Test]
    public void Negation_ReincludesAndTheLastMatchingRuleWins()
    {
        const string rules = "*.log\n!keep.log";
        File(rules, "x.log").Should().BeTrue();
        File(rules, "keep.log").Should().BeFalse();
        File(rules, "sub/keep.log").Should().BeFalse();
        File("!keep.log\n*.log", "keep.log").Should().BeTrue();
        File("*.log\n!keep.log\nkeep.log", "keep.log").Should().BeTrue();
        File("!x", "x").Should().BeFalse("a lone negation ignores nothing");
    }

    [Test]
    public void CommentsBlankLinesAndWindowsLineEndings_AreHandled()
    {
        const string rules = "# a comment\n\n   \n*.tmp\r\n#not-a-pattern";
        File(rules, "# a comment").Should().BeFalse();
        File(rules, "#not-a-pattern").Should().BeFalse();
        File(rules, "x.tmp").Should().BeTrue();
    }

    [Test]
    public void EscapedCharacters_AreLiteral()
    {
        File("\\#hash", "#hash").Should().BeTrue();
        File("\\!bang", "!bang").Should().BeTrue();
        File("\\*star", "*star").Should().BeTrue();
        File("\\*star", "xstar").Should().BeFalse();
        File("ab\\?", "ab?").Should().BeTrue();
        File("ab\\?", "abc").Should().BeFalse();
        File("\\[x]", "[x]").Should().BeTrue();
        File("\\[x]", "x").Should().BeFalse();
    }

    [Test]
    public void TrailingSpaces_AreTrimmedUnlessEscaped()
    {
        File("trailing   ", "trailing").Should().BeTrue();
        File("space\\ ", "space ").Should().BeTrue();
        File("space\\ ", "space").Should().BeFalse();
        File("space\\  ", "space ").Should().BeTrue("only the unescaped space is trimmed");
    }

    [TestCase("[]")]
    [TestCase("[!]")]
    [TestCase("[z-a]")]
    [TestCase("[a-z-[b]")]
    [TestCase("\\")]
    [TestCase("[[:alpha:]]")]
    public void MalformedPattern_NeverCrashesWithARegexError(string pattern)
    {
        // A broken .lmvpignore line is either a clear LMVP error naming it or a pattern that matches nothing unexpected.
        try
        {
            var rules = IgnoreRules.Parse([pattern, "*.tmp"]);
            rules.IsIgnored("x.tmp", isDirectory: false).Should().BeTrue("the other lines still apply");
            rules.IsIgnored("plain", isDirectory: false).Should().BeFalse();
        }
        catch (LmvpException e)
        {
            e.Message.Should().Contain(pattern).And.Contain(IgnoreRules.FileName);
        }
    }

    [TestCase(".lmvp")]
    [TestCase(".git")]
    [TestCase("sub/.git")]
    [TestCase("sub/nested/.lmvp")]
    public void RepositoryDirectories_AreAlwaysIgnored_EvenWhenNegated(string path)
    {
        IgnoreRules.Empty.IsIgnored(path, isDirectory: true).Should().BeTrue();
        IgnoreRules.Parse(["!.git", "!.lmvp", "!**/.git"]).IsIgnored(path, isDirectory: true).Should().BeTrue();
        IgnoreRules.Empty.IsIgnored(path, isDirectory: false).Should().BeTrue();
    }

    [Test]
    public void NamesThatOnlyResembleRepositoryDirectories_AreKept()
    {
        IgnoreRules.Empty.IsIgnored(".gitignore", isDirectory: false).Should().BeFalse();
        IgnoreRules.Empty.IsIgnored(".lmvpignore", isDirectory: false).Should().BeFalse();
        IgnoreRules.Empty.IsIgnored("x.git", isDirectory: true).Should().BeFalse();
        IgnoreRules.Empty.IsIgnored("sub/.github", isDirectory: true).Should().BeFalse();
    }

    [Test]
    public void Load_ReadsTheIgnoreFileAtTheRoot()
    {
        using var dir = new TempDirectory("ignore");
        IgnoreRules.Load(dir.Path).IsIgnored("a.tmp", false).Should().BeFalse();
        dir.WriteFile(IgnoreRules.FileName, "*.tmp\n"u8.ToArray());
        IgnoreRules.Load(dir.Path).IsIgnored("a.tmp", false).Should().BeTrue();
    }
}
