using System.Globalization;
using Lmvp.Store;

namespace Lmvp.Server.Web.Html;

/// <summary>How sizes, numbers and times read on the pages (the same forms as the CLI's).</summary>
internal static class Format
{
    /// <summary>1536 → "1.5 KiB".</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? bytes.ToString(CultureInfo.InvariantCulture) + " B"
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }

    /// <summary>A signed size change: "+1.5 KiB", "−200 B", "0 B".</summary>
    public static string BytesDelta(long delta) => delta switch
    {
        > 0 => "+" + Bytes(delta),
        < 0 => "\u2212" + Bytes(-delta),
        _ => "0 B",
    };

    /// <summary>A metric value as tables show it, the same as the CLI: up to 6 significant digits (2.14698, NaN, inf).</summary>
    public static string Number(double value) => MetricValues.FormatShort(value);

    /// <summary>A metric value in full, exact when read back (commit pages, as <c>lmvp show</c>).</summary>
    public static string FullNumber(double value) => MetricValues.Format(value);

    /// <summary>A param value: a number as <see cref="Number"/>, a string as it is.</summary>
    public static string Param(ParamValue value) => value.Text ?? Number(value.Number);

    /// <summary>A signed difference: "+0.25", "−0.09", "NaN".</summary>
    public static string Delta(double delta) => delta switch
    {
        > 0 => "+" + Number(delta),
        < 0 => "\u2212" + Number(-delta),
        0 => "0",
        _ => Number(delta),
    };

    /// <summary>UTC time in ISO form, to the minute.</summary>
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>UTC time in ISO form, to the second (for titles and metadata).</summary>
    public static string FullTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>"3 minutes ago", "2 days ago", or the date past a month.</summary>
    public static string Ago(DateTimeOffset time, DateTimeOffset now)
    {
        var span = now - time;
        if (span < TimeSpan.FromMinutes(1))
        {
            return "just now";
        }

        static string Plural(int n, string unit) => n.ToString(CultureInfo.InvariantCulture) + " " + unit + (n == 1 ? "" : "s") + " ago";
        return span switch
        {
            { TotalHours: < 1 } => Plural((int)span.TotalMinutes, "minute"),
            { TotalDays: < 1 } => Plural((int)span.TotalHours, "hour"),
            { TotalDays: < 31 } => Plural((int)span.TotalDays, "day"),
            _ => time.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        };
    }

    /// <summary>The first line of a commit message, cut to <paramref name="max"/> characters.</summary>
    public static string Subject(string message, int max = 100)
    {
        var end = message.IndexOf('\n', StringComparison.Ordinal);
        var line = end < 0 ? message : message[..end];
        return line.Length <= max ? line : line[..(max - 1)] + "\u2026";
    }
}
