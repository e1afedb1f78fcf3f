using System.Globalization;
using Lmvp.Server.Services;
using Lmvp.Server.Web.Data;
using Lmvp.Server.Web.Html;
using Lmvp.Store;
using Lmvp.Store.Formats;

namespace Lmvp.Server.Web.Pages;

/// <summary>The tensor tables of the web UI: a model file's tensors on its file page, and the tensors of each changed model file
/// on the compare page, read from headers and chunk ids only.</summary>
internal static class TensorSections
{
    /// <summary>Tensors listed at most on one page.</summary>
    private const int MaxTensorsListed = 2000;

    /// <summary>Changed files whose headers the compare page reads at most (the API compares them all).</summary>
    private const int MaxFilesCompared = 200;

    /// <summary>Names model files are saved under; the compare page reads the headers of these only, so a comparison of
    /// many other files costs no chunk reads (the file page and the API read any file's header).</summary>
    private static readonly string[] ModelExtensions = [".safetensors", ".pt", ".pth", ".bin", ".ckpt", ".onnx", ".gguf"];

    /// <summary>The tensor table of a file page; nothing for a file that is not a model file.</summary>
    public static async Task FileAsync(HtmlWriter html, RepositoryView repo, string path, TreeEntry entry)
    {
        var layout = await repo.Web.Service<RepositoryTensors>().LayoutAsync(repo.Graph, entry.Id, path, repo.Web.Aborted);
        if (layout is null)
        {
            return;
        }

        html.Add($"""
            <section class="card flush" id="tensors"><div class="cardhead row spread"><h3>Tensors</h3>
            <span class="muted small">{layout.Format} · {N(layout.Tensors.Count)} tensors · {N(layout.Parameters)} parameters · {Format.Bytes(layout.TensorBytes)}</span></div>
            <table class="grid compact" id="tensor-table"><thead><tr><th>Name</th><th>Dtype</th><th>Shape</th><th class="num">Parameters</th><th class="num">Bytes</th></tr></thead><tbody>
            """);
        foreach (var t in layout.Tensors.Take(MaxTensorsListed))
        {
            html.Add($"<tr data-tensor=\"{t.Name}\"><td class=\"name\"><code>{t.Name}</code></td><td>{t.DType}</td><td>{t.ShapeText}</td><td class=\"num\">{N(t.Parameters)}</td><td class=\"num\">{Format.Bytes(t.Length)}</td></tr>");
        }

        More(html, layout.Tensors.Count, 5);
        html.Add($"</tbody></table></section>");
    }

    /// <summary>For each changed model file of a comparison, its tensors: a summary line and the ones that changed, were added or removed.</summary>
    public static async Task CompareAsync(HtmlWriter html, RepositoryView repo, IReadOnlyList<FileDiff> files)
    {
        var candidates = files.Where(f => ModelExtensions.Any(e => f.Path.EndsWith(e, StringComparison.OrdinalIgnoreCase))).Take(MaxFilesCompared);
        var diffs = await repo.Web.Service<RepositoryTensors>().CompareAsync(repo.Graph, candidates, repo.Web.Aborted);
        if (diffs.Count == 0)
        {
            return;
        }

        html.Add($"<section class=\"card flush\" id=\"tensor-changes\"><div class=\"cardhead\"><h3>Tensors</h3></div>");
        foreach (var file in diffs)
        {
            var listed = file.Tensors.Where(t => t.Change != TensorChange.Unchanged).ToList();
            html.Add($"""
                <div class="pad" data-path="{file.Path}"><strong>{file.Path}</strong> <span class="muted small">{file.NewFormat ?? file.OldFormat}</span>
                <span class="muted small summary"> · <span class="changed">{file.Count(TensorChange.Changed)} changed</span> · {file.Count(TensorChange.Unchanged)} unchanged · <span class="added">{file.Count(TensorChange.Added)} added</span> · <span class="removed">{file.Count(TensorChange.Removed)} removed</span> · {Format.Bytes(file.BytesDiffering)} differ</span></div>
                """);
            if (listed.Count == 0)
            {
                continue;
            }

            html.Add($"<table class=\"grid compact tensors\"><thead><tr><th>Change</th><th>Tensor</th><th>Dtype</th><th>Shape</th><th class=\"num\">Bytes differing</th></tr></thead><tbody>");
            foreach (var t in listed.Take(MaxTensorsListed))
            {
                var kind = t.Change.ToString().ToLowerInvariant();
                var current = (t.New ?? t.Old)!;
                var dtype = t.Old is { } o && t.New is { } n && o.DType != n.DType ? $"{o.DType} → {n.DType}" : current.DType;
                var shape = t.Old is { } a && t.New is { } b && !a.Shape.SequenceEqual(b.Shape) ? $"{a.ShapeText} → {b.ShapeText}" : current.ShapeText;
                html.Add($"<tr class=\"{kind}\" data-tensor=\"{t.Name}\"><td><span class=\"badge {kind}\">{kind}</span></td><td class=\"name\"><code>{t.Name}</code></td><td>{dtype}</td><td>{shape}</td>");
                html.Add($"<td class=\"num\">{(t.Change == TensorChange.Removed ? "\u2014" : Format.Bytes(t.BytesDiffering))}</td></tr>");
            }

            More(html, listed.Count, 5);
            html.Add($"</tbody></table>");
        }

        html.Add($"</section>");
    }

    private static void More(HtmlWriter html, int count, int columns)
    {
        if (count > MaxTensorsListed)
        {
            html.Add($"<tr><td class=\"muted\" colspan=\"{columns}\">… and {N(count - MaxTensorsListed)} more tensors not listed (the API lists them all).</td></tr>");
        }
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
