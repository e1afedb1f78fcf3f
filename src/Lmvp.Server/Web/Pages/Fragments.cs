using Lmvp.Server.Web.Data;
using Lmvp.Server.Web.Html;
using Lmvp.Store;

namespace Lmvp.Server.Web.Pages;

/// <summary>Pieces several pages share: commit summaries, metric chips, provenance, file rows.</summary>
internal static class Fragments
{
    /// <summary>The person part of "Name &lt;email&gt;".</summary>
    public static string AuthorName(string author)
    {
        var lt = author.IndexOf('<', StringComparison.Ordinal);
        return lt > 0 ? author[..lt].Trim() : author;
    }

    public static void MetricChips(HtmlWriter html, Commit commit)
    {
        if (commit.Metrics.Count == 0)
        {
            return;
        }

        html.Add($"<ul class=\"chips\">");
        foreach (var m in commit.Metrics)
        {
            html.Add($"<li><span class=\"k\">{m.Key}</span><span class=\"v\">{Format.Number(m.Value)}</span></li>");
        }

        html.Add($"</ul>");
    }

    public static void Provenance(HtmlWriter html, Provenance? provenance, bool full)
    {
        if (provenance is null)
        {
            html.Add($"<span class=\"muted\">\u2014</span>");
            return;
        }

        var shortId = provenance.GitCommit.Length > 10 ? provenance.GitCommit[..10] : provenance.GitCommit;
        var title = "git " + provenance.GitCommit + (provenance.Branch is null ? " (detached)" : " on " + provenance.Branch)
            + (provenance.IsDirty ? ", with uncommitted changes" : "") + (provenance.OriginUrl is null ? "" : ", " + provenance.OriginUrl);
        html.Add($"<code class=\"git\" title=\"{title}\">{(full ? provenance.GitCommit : shortId)}</code>");
        if (provenance.IsDirty)
        {
            html.Add($"<span class=\"badge dirty\" title=\"the training code had uncommitted changes\">dirty</span>");
        }

        if (full)
        {
            if (provenance.Branch is not null)
            {
                html.Add($" <span class=\"muted\">on</span> <code>{provenance.Branch}</code>");
            }

            if (provenance.OriginUrl is not null)
            {
                html.Add($" <span class=\"muted\">from</span> <code>{provenance.OriginUrl}</code>");
            }
        }
    }

    /// <summary>The card at the top of a repository: a commit's subject, id, author, time and metrics.</summary>
    public static void CommitCard(HtmlWriter html, RepositoryView repo, Commit commit, string label, DateTimeOffset now)
    {
        html.Add($"""
            <section class="card commitcard"><div class="row spread"><div><span class="label">{label}</span>
            <a class="subject" href="{Urls.Commit(repo.Owner, repo.Name, commit.Id)}">{Format.Subject(commit.Message)}</a></div>
            <a class="sha" href="{Urls.Commit(repo.Owner, repo.Name, commit.Id)}">{commit.Id.ToShortString()}</a></div>
            <div class="meta"><span title="{commit.Author}">{AuthorName(commit.Author)}</span> committed
            <time datetime="{commit.Time.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture)}" title="{Format.FullTime(commit.Time)}">{Format.Ago(commit.Time, now)}</time>
            <span class="sep">·</span>
            """);
        html.Add($"code ");
        Provenance(html, commit.Provenance, full: false);
        html.Add($"</div>");
        MetricChips(html, commit);
        html.Add($"</section>");
    }

    /// <summary>The revision a page shows, as a dropdown of the repository's branches and tags (plain links, so it works without
    /// script) with a box for any other revision; <paramref name="urlFor"/> is the page's URL for a revision.</summary>
    public static async Task RevisionSwitcherAsync(HtmlWriter html, RepositoryView repo, RunView current, Func<string, string> urlFor)
    {
        var branches = await repo.BranchesAsync();
        var tags = await repo.TagsAsync();
        html.Add($"""
            <details class="dropdown switcher" id="revision-switcher"><summary class="button" title="switch branch or tag"><span class="muted">{current.KindName}</span> <strong>{current.Name}</strong> ▾</summary>
            <div class="panel"><h4>Branches</h4><ul class="reflinks">
            """);
        foreach (var b in branches)
        {
            html.Add($"<li><a href=\"{urlFor(b.Key)}\"{(current.Kind == RunKind.Branch && b.Key == current.Name ? new Markup(" class=\"active\" aria-current=\"true\"") : Markup.Empty)}>{b.Key}</a></li>");
        }

        html.Add($"</ul><h4>Tags</h4><ul class=\"reflinks\">");
        if (tags.Count == 0)
        {
            html.Add($"<li class=\"muted small\">No tags yet.</li>");
        }

        foreach (var t in tags)
        {
            html.Add($"<li><a class=\"tag{(current.Kind == RunKind.Tag && t.Key == current.Name ? " active" : "")}\" href=\"{urlFor(t.Key)}\">{t.Key}</a></li>");
        }

        // Any other revision: the form goes to the page's own URL with branch=..., which takes what the CLI takes.
        var action = urlFor(repo.Record.DefaultBranch);
        var q = action.IndexOf('?', StringComparison.Ordinal);
        html.Add($"""
            </ul><form method="get" action="{(q < 0 ? action : action[..q])}" class="row"><input name="branch" placeholder="commit id, tag, main~3" aria-label="any revision" required><button type="submit" class="small">Go</button></form></div></details>
            """);
    }

    /// <summary>Labels for the branches and tags at a commit: a branch links to its history, a tag to its commit's page.</summary>
    public static void RefLabels(HtmlWriter html, RepositoryView repo, IEnumerable<RefLabel> labels)
    {
        foreach (var label in labels)
        {
            if (label.IsTag)
            {
                html.Add($"<a class=\"ref tag\" href=\"{Urls.Commit(repo.Owner, repo.Name, label.Name)}\" title=\"tag {label.Name}\">{label.Name}</a> ");
            }
            else
            {
                html.Add($"<a class=\"ref branch\" href=\"{Urls.History(repo.Owner, repo.Name, label.Name)}\" title=\"branch {label.Name}\">{label.Name}</a> ");
            }
        }
    }

    /// <summary>Text to copy (a command, a URL, a snippet) in a read-only box, with a Copy button that the page script shows.</summary>
    public static void CopyBox(HtmlWriter html, string id, string text, bool multiline = false)
    {
        if (multiline)
        {
            html.Add($"<div class=\"copybox\"><pre id=\"{id}\">{text}</pre><button type=\"button\" class=\"small copy\" data-copy=\"{id}\" hidden>Copy</button></div>");
        }
        else
        {
            html.Add($"<div class=\"copybox\"><input id=\"{id}\" class=\"secret\" readonly value=\"{text}\" aria-label=\"{text}\"><button type=\"button\" class=\"small copy\" data-copy=\"{id}\" hidden>Copy</button></div>");
        }
    }

    /// <summary>An icon for a tree entry (inline SVG, no external file).</summary>
    public static Markup EntryIcon(TreeEntryKind kind) => kind switch
    {
        TreeEntryKind.Directory => new Markup("<svg class=\"icon dir\" viewBox=\"0 0 16 16\" aria-hidden=\"true\"><path d=\"M1.5 3h4.6l1.4 1.6h7v8.9h-13z\"/></svg>"),
        TreeEntryKind.Symlink => new Markup("<svg class=\"icon link\" viewBox=\"0 0 16 16\" aria-hidden=\"true\"><path d=\"M3 2.5h7l3 3v8H3z\"/><path d=\"M6 10l4-4M7 6h3v3\"/></svg>"),
        _ => new Markup("<svg class=\"icon file\" viewBox=\"0 0 16 16\" aria-hidden=\"true\"><path d=\"M3 1.5h6.5l3.5 3.5v9.5H3z\"/><path d=\"M9.5 1.5V5H13\"/></svg>"),
    };
}
