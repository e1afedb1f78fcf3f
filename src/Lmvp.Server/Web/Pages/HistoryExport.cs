using System.Text;
using Lmvp.Server.Api;
using Lmvp.Server.Web.Data;
using Lmvp.Server.Web.Html;
using Lmvp.Store;

namespace Lmvp.Server.Web.Pages;

/// <summary>A history view's rows as files: CSV with the view's columns in its order (for a spreadsheet or pandas), and JSON
/// with every commit in full, in the shape of the API's <c>commits</c> answer.</summary>
/// <remarks>Both take the same query as the page (revision, search, param filters, sort, columns) and hold every matching row,
/// not one page. CSV values are exact: metrics in the round-trip form (<c>NaN</c>, <c>inf</c> and <c>-inf</c> as pandas reads
/// them), times in ISO 8601, the full commit id first. A text cell that a spreadsheet would run as a formula (starting with
/// <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, a tab or a return) is prefixed with <c>'</c>, as OWASP advises; numbers never are.</remarks>
internal static class HistoryExport
{
    public static async Task<IResult> CsvAsync(RepositoryView repo, string? branch)
    {
        if (await LoadAsync(repo, branch) is not { } loaded)
        {
            return Page.NotFound(repo.Web);
        }

        var (run, selection, query, labels) = loaded;
        var columns = HistoryColumns.Chosen(repo.Web.Http, query, HistoryColumns.Available(selection.Metrics, selection.Params));
        var csv = new StringBuilder(256 + (selection.Rows.Count * 64 * Math.Max(1, columns.Count)));
        Line(csv, ["commit", "refs", .. columns.Select(Heading)]);
        foreach (var row in selection.Rows)
        {
            var c = row.Commit;
            var cells = new List<string>(columns.Count + 2) { c.Id.ToString(), string.Join(' ', labels[c.Id].Select(l => l.Name)) };
            foreach (var column in columns)
            {
                cells.Add(Cell(row, column));
            }

            Line(csv, cells);
        }

        return Download(repo, run, "csv", "text/csv; charset=utf-8", csv.ToString());
    }

    public static async Task<IResult> JsonAsync(RepositoryView repo, string? branch)
    {
        if (await LoadAsync(repo, branch) is not { } loaded)
        {
            return Page.NotFound(repo.Web);
        }

        var (run, selection, _, _) = loaded;
        var names = await ContentViews.RefNamesAsync(repo.Graph, repo.Web.Service<Storage.IRefStore>(), repo.Web.Aborted);
        var body = new CommitPageResponse(run.Name, run.Head.ToString(), [.. selection.Rows.Select(r => ContentViews.ToResponse(r.Commit, names))], null);
        SetFileName(repo, run, "json");
        return TypedResults.Json(body, Api.ContentJsonContext.Default.CommitPageResponse, contentType: "application/json; charset=utf-8");
    }

    private static async Task<(RunView Run, HistoryPages.Selection Selection, HistoryQuery Query, ILookup<ObjectId, RefLabel> Labels)?> LoadAsync(
        RepositoryView repo, string? branch)
    {
        if (await repo.ResolveRunAsync(branch) is not { } run)
        {
            return null;
        }

        var history = await repo.HistoryAsync(run.Head);
        var directions = await repo.MetricDirectionsAsync();
        var query = HistoryQuery.From(repo.Web.Http.Request, run.Name);
        if (query.Sort is not null && !repo.Web.Http.Request.Query.ContainsKey("dir"))
        {
            query = query with { Descending = directions.HigherIsBetter(query.Sort) };
        }

        return (run, HistoryPages.Select(history, query, directions), query, await repo.RefLabelsAsync());
    }

    private static string Heading(string column) => column switch
    {
        HistoryColumns.Number => "number",
        HistoryColumns.Code => "git_commit",
        _ => HistoryColumns.Header(column),
    };

    private static string Cell(HistoryPages.Row row, string column)
    {
        var c = row.Commit;
        if (column.StartsWith(HistoryColumns.MetricPrefix, StringComparison.Ordinal))
        {
            return MetricLookup.TryGet(c, column[HistoryColumns.MetricPrefix.Length..], out var v) ? MetricValues.Format(v) : "";
        }

        if (column.StartsWith(HistoryColumns.ParamPrefix, StringComparison.Ordinal))
        {
            return MetricLookup.TryGetParam(c, column[HistoryColumns.ParamPrefix.Length..], out var p)
                ? p.IsNumber ? MetricValues.Format(p.Number) : Text(p.Text!)
                : "";
        }

        return column switch
        {
            HistoryColumns.Number => row.Number.ToString(System.Globalization.CultureInfo.InvariantCulture),
            HistoryColumns.Message => Text(c.Message),
            HistoryColumns.Author => Text(c.Author),
            HistoryColumns.Time => c.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            _ => c.Provenance?.GitCommit ?? "",
        };
    }

    /// <summary>A text value that a spreadsheet will not run as a formula.</summary>
    private static string Text(string value) => value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + value : value;

    /// <summary>Appends one RFC 4180 record: fields with a comma, quote or line break are quoted, quotes doubled; CRLF ends it.</summary>
    private static void Line(StringBuilder csv, IEnumerable<string> cells)
    {
        var first = true;
        foreach (var cell in cells)
        {
            if (!first)
            {
                csv.Append(',');
            }

            first = false;
            if (cell.AsSpan().IndexOfAny(",\"\r\n") >= 0)
            {
                csv.Append('"').Append(cell.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            }
            else
            {
                csv.Append(cell);
            }
        }

        csv.Append("\r\n");
    }

    private static IResult Download(RepositoryView repo, RunView run, string extension, string contentType, string text)
    {
        SetFileName(repo, run, extension);
        return TypedResults.Text(text, contentType, Encoding.UTF8);
    }

    private static void SetFileName(RepositoryView repo, RunView run, string extension)
    {
        var name = $"{repo.Owner}-{repo.Name}-{run.Name}-history.{extension}".Replace('/', '-');
        repo.Web.Http.Response.Headers.ContentDisposition = new System.Net.Mime.ContentDisposition { FileName = Sanitize(name), DispositionType = "attachment" }.ToString();
    }

    private static string Sanitize(string name) => new([.. name.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '_')]);
}
