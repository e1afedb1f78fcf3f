using Lmvp.Server.Web.Html;

namespace Lmvp.Web.Tests.Rendering;

[TestFixture]
internal sealed class HtmlWriterTests
{
    [Test]
    public void Add_EncodesEveryHoleForTextAndQuotedAttributes()
    {
        var html = new HtmlWriter();
        var name = "<img src=x onerror=alert(1)>\"'&";

        html.Add($"<td title=\"{name}\">{name}</td>");

        html.ToString().Should().Be("<td title=\"&lt;img src=x onerror=alert(1)&gt;&quot;&#x27;&amp;\">&lt;img src=x onerror=alert(1)&gt;&quot;&#x27;&amp;</td>");
    }

    [Test]
    public void Add_KeepsMarkupAndFormatsNumbersInvariantly()
    {
        var html = new HtmlWriter();
        html.Add($"<p>{new Markup("<em>ok</em>")} {1234.5} {42}</p>");
        html.ToString().Should().Be("<p><em>ok</em> 1234.5 42</p>");
    }

    [Test]
    public void Add_LeavesNonAsciiTextReadable()
    {
        var html = new HtmlWriter();
        html.Add($"{"Größe 模型"}");
        html.ToString().Should().Be("Größe 模型");
    }

    /// <summary>Return paths that a browser turns into another origin once it has removed or rewritten characters.</summary>
    public static readonly string[] HostileReturnPaths =
    [
        "//evil.invalid/", "/\\evil.invalid", "\\\\evil.invalid", "https://evil.invalid/", "http:evil.invalid", "javascript:alert(1)",
        "/\t/evil.invalid", "/\n/evil.invalid", "/\r/evil.invalid", "\t//evil.invalid", " //evil.invalid", "/ /evil.invalid",
        "/\u0000/evil.invalid", "/\u001f/evil.invalid", "/\u007f/evil.invalid", "/%2F/evil.invalid", "/%2f%2fevil.invalid", "/%5Cevil.invalid",
        "/%5c/evil.invalid", "/%252F/evil.invalid", "/%09/evil.invalid", "/%0d%0a/evil.invalid", "/\uff0f/evil.invalid", "/\u3000/evil.invalid",
        "/\u2215/evil.invalid", "///evil.invalid", "evil.invalid", "",
    ];

    [Test]
    public void SafeReturnPath_KeepsLocalPaths()
    {
        Urls.SafeReturnPath("/repos/a/b?x=1").Should().Be("/repos/a/b?x=1");
        Urls.SafeReturnPath("/").Should().Be("/");
        Urls.SafeReturnPath("/repos/a/b/tree/main/dir%20x?tab=files#top").Should().Be("/repos/a/b/tree/main/dir%20x?tab=files#top");
        Urls.SafeReturnPath(null).Should().Be("/");
    }

    [TestCaseSource(nameof(HostileReturnPaths))]
    public void SafeReturnPath_RefusesWhatABrowserWouldReadAsAnotherSite(string path) => Urls.SafeReturnPath(path).Should().Be("/");
}
