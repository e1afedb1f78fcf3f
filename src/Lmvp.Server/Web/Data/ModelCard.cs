using Ganss.Xss;
using Lmvp.Server.Web.Html;
using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Lmvp.Server.Web.Data;

/// <summary>Renders a repository's README.md (its model card) from Markdown to sanitized HTML.</summary>
/// <remarks>
/// Markdig renders CommonMark plus tables, task lists and the like; raw HTML in the Markdown is allowed through Markdig
/// and then everything passes HtmlSanitizer, which keeps a list of harmless elements and attributes and drops the rest:
/// scripts, event-handler attributes, styles, iframes, forms, and URLs whose scheme is not http, https or mailto (so
/// <c>javascript:</c> links lose their href). Relative links and images are pointed at the file in the same commit. The
/// page's Content-Security-Policy (no scripts at all) is a second wall behind this one.
/// </remarks>
internal sealed class ModelCard
{
    /// <summary>Model cards bigger than this are linked, not rendered.</summary>
    public const long MaxBytes = 1024 * 1024;

    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UseAdvancedExtensions()
        .Build();

    private readonly HtmlSanitizer _sanitizer;

    public ModelCard()
    {
        _sanitizer = new HtmlSanitizer();
        _sanitizer.AllowedSchemes.Clear();
        _sanitizer.AllowedSchemes.Add("http");
        _sanitizer.AllowedSchemes.Add("https");
        _sanitizer.AllowedSchemes.Add("mailto");
        _sanitizer.AllowedAttributes.Remove("style");
        _sanitizer.AllowedTags.Remove("form");
        _sanitizer.AllowedTags.Remove("input");
        _sanitizer.AllowedTags.Remove("button");
        _sanitizer.AllowedTags.Remove("textarea");
        _sanitizer.AllowedTags.Remove("select");
        _sanitizer.AllowedCssProperties.Clear();
        _sanitizer.AllowedAtRules.Clear();
        _sanitizer.AllowDataAttributes = false;
        _sanitizer.PostProcessNode += (_, e) =>
        {
            if (e.Node is AngleSharp.Dom.IElement { TagName: "A" } a && a.GetAttribute("href") is { } href
                && (href.StartsWith("http:", StringComparison.OrdinalIgnoreCase) || href.StartsWith("https:", StringComparison.OrdinalIgnoreCase)))
            {
                a.SetAttribute("rel", "nofollow noopener noreferrer");
            }
        };
    }

    /// <summary>Safe HTML for <paramref name="markdown"/>; <paramref name="resolveRelative"/> turns a repository-relative
    /// link into a URL (or null to leave it alone).</summary>
    public Markup Render(string markdown, Func<string, string?> resolveRelative)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        ArgumentNullException.ThrowIfNull(resolveRelative);
        var document = Markdown.Parse(markdown, Pipeline);
        foreach (var link in document.Descendants<LinkInline>())
        {
            if (link.Url is { Length: > 0 } url && IsRelative(url) && resolveRelative(url) is { } resolved)
            {
                link.Url = resolved;
            }
        }

        var html = document.ToHtml(Pipeline);
        return new Markup(_sanitizer.Sanitize(html));
    }

    private static bool IsRelative(string url) =>
        !url.StartsWith('/') && !url.StartsWith('#') && !url.StartsWith('?') && !url.Contains(':', StringComparison.Ordinal);
}
