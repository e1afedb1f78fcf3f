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

    [Test]
    public void SafeReturnPath_RefusesAnythingThatLeavesTheSite()
    {
        Urls.SafeReturnPath("/repos/a/b?x=1").Should().Be("/repos/a/b?x=1");
        Urls.SafeReturnPath("//evil.example/").Should().Be("/");
        Urls.SafeReturnPath("/\\evil.example").Should().Be("/");
        Urls.SafeReturnPath("https://evil.example/").Should().Be("/");
        Urls.SafeReturnPath(null).Should().Be("/");
    }
}
