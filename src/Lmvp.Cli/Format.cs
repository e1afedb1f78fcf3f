using System.Globalization;

namespace Lmvp.Cli;

/// <summary>How numbers, sizes and times are shown to people.</summary>
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

    /// <summary>A metric value in its shortest round-trip form.</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>"loss=0.41 acc=0.9".</summary>
    public static string Metrics(IEnumerable<KeyValuePair<string, double>> metrics) =>
        string.Join(" ", metrics.Select(m => $"{m.Key}={Number(m.Value)}"));

    /// <summary>"git 0123456789ab on main, dirty, https://host/repo.git".</summary>
    public static string Provenance(Lmvp.Store.Provenance p) =>
        $"git {p.GitCommit[..Math.Min(12, p.GitCommit.Length)]}" + (p.Branch is null ? " (detached)" : $" on {p.Branch}")
        + (p.IsDirty ? ", dirty" : "") + (p.OriginUrl is null ? "" : $", {p.OriginUrl}");

    /// <summary>A signed difference in a short form: "+0.25", "-0.09".</summary>
    public static string Delta(double delta) => (delta > 0 ? "+" : "") + delta.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>UTC time as git shows it, in ISO form.</summary>
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
