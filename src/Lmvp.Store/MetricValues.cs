using System.Globalization;

namespace Lmvp.Store;

/// <summary>How metric and numeric param values are read from text, shown to people, and ranked: one place for the
/// CLI and the web, so a value reads the same everywhere.</summary>
/// <remarks>NaN and ±infinity are values like any other (a diverged run is worth recording): they read from
/// <c>nan</c>, <c>inf</c>, <c>-inf</c>, <c>Infinity</c> (any case), show as <c>NaN</c>, <c>inf</c>, <c>-inf</c>, and rank
/// after every finite value whichever direction is better.</remarks>
public static class MetricValues
{
    /// <summary>The one NaN a commit stores (the quiet NaN Python and numpy write), so equal inputs give equal ids.</summary>
    public static double CanonicalNaN { get; } = BitConverter.UInt64BitsToDouble(CanonicalNaNBits);

    internal const ulong CanonicalNaNBits = 0x7FF8_0000_0000_0000;

    /// <summary>Reads a number: invariant decimal or exponent form, or nan / inf / +inf / -inf / infinity / -infinity (any case).</summary>
    public static bool TryParse(string? text, out double value)
    {
        var s = text?.Trim() ?? "";
        switch (s.ToLowerInvariant())
        {
            case "nan" or "+nan" or "-nan":
                value = CanonicalNaN;
                return true;
            case "inf" or "+inf" or "infinity" or "+infinity":
                value = double.PositiveInfinity;
                return true;
            case "-inf" or "-infinity":
                value = double.NegativeInfinity;
                return true;
        }

        // Only digits, signs, a point and an exponent: "Infinity" and "∞" are taken above or not at all, and "1,5" is refused.
        if (s.Length == 0 || s.Any(c => !(char.IsAsciiDigit(c) || c is '.' or '-' or '+' or 'e' or 'E')))
        {
            value = 0;
            return false;
        }

        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }

    /// <summary>The full value, exact when read back: 2.1469829082489014, 1e-07, NaN, inf, -inf (for <c>show</c> and commit pages).</summary>
    public static string Format(double value) => Special(value) ?? Lower(value.ToString("R", CultureInfo.InvariantCulture));

    /// <summary>Up to 6 significant digits, as tables show a metric: 2.14698, 1e-07, NaN, inf, -inf.</summary>
    public static string FormatShort(double value) => Special(value) ?? Lower(value.ToString("G6", CultureInfo.InvariantCulture));

    /// <summary>True when a bigger value of the metric is better, guessed from its name (acc, f1, auc, bleu, reward,
    /// score... are; loss, error, perplexity and anything unknown are not).</summary>
    public static bool HigherIsBetter(string metricName)
    {
        ArgumentNullException.ThrowIfNull(metricName);
        var name = metricName.ToLowerInvariant();
        foreach (var word in LowerWords)
        {
            if (name.Contains(word, StringComparison.Ordinal))
            {
                return false;
            }
        }

        foreach (var word in HigherWords)
        {
            if (name.Contains(word, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Orders two values best first: finite values by the direction, then NaN and infinities (in that order).</summary>
    public static int CompareBestFirst(double a, double b, bool higherIsBetter)
    {
        bool fa = double.IsFinite(a), fb = double.IsFinite(b);
        if (fa && fb)
        {
            return higherIsBetter ? b.CompareTo(a) : a.CompareTo(b);
        }

        return fa ? -1 : fb ? 1 : Rank(a).CompareTo(Rank(b));

        static int Rank(double v) => double.IsNaN(v) ? 0 : v > 0 ? 1 : 2;
    }

    /// <summary>Equal as stored: every NaN equals NaN, and 0 differs from -0.</summary>
    public static bool SameValue(double a, double b) => BitConverter.DoubleToUInt64Bits(Canonical(a)) == BitConverter.DoubleToUInt64Bits(Canonical(b));

    internal static double Canonical(double value) => double.IsNaN(value) ? CanonicalNaN : value;

    private static readonly string[] LowerWords = ["loss", "err", "perplexity", "ppl", "wer", "cer", "mse", "mae", "rmse", "nll", "latency", "time"];

    private static readonly string[] HigherWords = ["acc", "f1", "auc", "bleu", "rouge", "precision", "recall", "score", "reward", "iou", "dice", "map", "r2", "top1", "top5", "return"];

    private static string? Special(double value) =>
        double.IsNaN(value) ? "NaN" : double.IsPositiveInfinity(value) ? "inf" : double.IsNegativeInfinity(value) ? "-inf" : null;

    private static string Lower(string text) => text.Replace('E', 'e');
}
