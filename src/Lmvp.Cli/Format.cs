using System.Globalization;
using Lmvp.Store;

namespace Lmvp.Cli;

/// <summary>How numbers, sizes, counts and times are shown to people.</summary>
internal static class Format
{
    /// <summary>1536 → "1.5 KiB".</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }

    /// <summary>"1 file", "2 files"; <paramref name="plural"/> when adding an s is wrong.</summary>
    public static string Count(long count, string singular, string? plural = null) =>
        count.ToString(CultureInfo.InvariantCulture) + " " + (count == 1 ? singular : plural ?? singular + "s");

    /// <summary>" (1.19x)": how much smaller <paramref name="after"/> is than <paramref name="before"/>; empty when it is not smaller.</summary>
    public static string Ratio(long before, long after) =>
        before <= 0 || after <= 0 || after >= before ? "" : string.Create(CultureInfo.InvariantCulture, $" ({(double)before / after:0.00}x)");

    /// <summary>A metric value as tables show it: 6 significant digits (2.14698, NaN, inf), the same as the web's tables.</summary>
    public static string Number(double value) => MetricValues.FormatShort(value);

    /// <summary>A metric value in full, exact when read back (for <c>show</c>).</summary>
    public static string FullNumber(double value) => MetricValues.Format(value);

    /// <summary>"loss=0.41 acc=0.9", short (6 significant digits) or in full.</summary>
    public static string Metrics(IEnumerable<KeyValuePair<string, double>> metrics, bool full = false) =>
        string.Join(" ", metrics.Select(m => $"{m.Key}={(full ? FullNumber(m.Value) : Number(m.Value))}"));

    /// <summary>"lr=0.0003 optimizer=adamw": numbers short or in full, strings quoted when they hold a space or are empty.</summary>
    public static string Params(IEnumerable<KeyValuePair<string, ParamValue>> parameters, bool full = false) =>
        string.Join(" ", parameters.Select(p => $"{p.Key}={Param(p.Value, full)}"));

    /// <summary>One param value: a number as <see cref="Number"/> (or in full), a string as it is, quoted when it holds a space, a quote or nothing.</summary>
    public static string Param(ParamValue value, bool full = false) =>
        value.Text is not { } text ? (full ? FullNumber(value.Number) : Number(value.Number))
        : text.Length == 0 || text.Any(c => char.IsWhiteSpace(c) || c == '"') || MetricValues.TryParse(text, out _) ? Quote(text) : text;

    /// <summary>"git 0123456789ab on main, dirty (train.py, utils.py), https://host/repo.git".</summary>
    public static string Provenance(Lmvp.Store.Provenance p) =>
        $"git {p.GitCommit[..Math.Min(12, p.GitCommit.Length)]}" + (p.Branch is null ? " (detached)" : $" on {p.Branch}")
        + (p.IsDirty ? ", dirty" + DirtyFiles(p.DirtyFiles) : "") + (p.OriginUrl is null ? "" : $", {p.OriginUrl}");

    /// <summary>A signed difference in a short form: "+0.25", "-0.09", "NaN".</summary>
    public static string Delta(double delta) => (delta > 0 ? "+" : "") + Number(delta);

    /// <summary>UTC time as git shows it, in ISO form.</summary>
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string DirtyFiles(IReadOnlyList<string> files)
    {
        const int Shown = 5;
        if (files.Count == 0)
        {
            return "";
        }

        var names = string.Join(", ", files.Take(Shown));
        return files.Count <= Shown ? $" ({names})" : $" ({names} and {files.Count - Shown} more)";
    }

    private static string Quote(string text) => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
