using System.Globalization;

namespace Lmvp.Store;

public sealed partial class Repository
{
    /// <summary>How long gc keeps what reflog entries reach when <see cref="ReflogExpiryConfigKey"/> is not set.</summary>
    public static readonly TimeSpan DefaultReflogExpiry = TimeSpan.FromDays(14);

    /// <summary>The config key that sets how long gc keeps what reflog entries reach ("30.days", "never").</summary>
    public const string ReflogExpiryConfigKey = "gc.reflogExpire";

    /// <summary>The reflog of a ref (HEAD, a branch, a remote-tracking branch, a tag; also one that was deleted), or of every ref when
    /// <paramref name="refName"/> is null, newest first.</summary>
    /// <exception cref="ObjectNotFoundException">The name is no ref and has no reflog.</exception>
    public IReadOnlyList<ReflogEntry> ReadReflog(string? refName = "HEAD", int limit = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return _database.ListReflog(refName is null ? null : ReflogName(refName), limit);
    }

    /// <summary>Parses an expiry as <c>lmvp gc --prune</c> and <see cref="ReflogExpiryConfigKey"/> take it: <c>now</c>, <c>never</c>, or a
    /// number of days or weeks (<c>14</c>, <c>14d</c>, <c>14.days</c>, <c>2.weeks.ago</c>); <see cref="TimeSpan.MaxValue"/> for never.</summary>
    public static bool TryParseExpiry(string? text, out TimeSpan expiry)
    {
        expiry = default;
        var t = text?.Trim().ToLowerInvariant() ?? "";
        if (t == "now")
        {
            expiry = TimeSpan.Zero;
            return true;
        }

        if (t == "never")
        {
            expiry = TimeSpan.MaxValue;
            return true;
        }

        if (t.EndsWith(".ago", StringComparison.Ordinal))
        {
            t = t[..^4];
        }

        var days = 1;
        foreach (var (suffix, factor) in new[] { (".days", 1), (".day", 1), ("d", 1), (".weeks", 7), (".week", 7), ("w", 7) })
        {
            if (t.EndsWith(suffix, StringComparison.Ordinal))
            {
                t = t[..^suffix.Length];
                days = factor;
                break;
            }
        }

        if (!int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 36500)
        {
            return false;
        }

        expiry = TimeSpan.FromDays((double)n * days);
        return true;
    }

    /// <summary>How long gc keeps what the reflog reaches here: <see cref="ReflogExpiryConfigKey"/>, else <see cref="DefaultReflogExpiry"/>.</summary>
    public TimeSpan ReflogExpiry()
    {
        if (GetConfig(ReflogExpiryConfigKey) is not { } configured)
        {
            return DefaultReflogExpiry;
        }

        return TryParseExpiry(configured, out var expiry)
            ? expiry
            : throw new LmvpException($"Config {ReflogExpiryConfigKey} = '{configured}' is not an expiry (now, never, or a number of days: 14.days).");
    }

    /// <summary>The full name a reflog is kept under: HEAD, refs/..., else the branch, remote-tracking branch or tag of that name (a
    /// branch that was deleted too).</summary>
    private string ReflogName(string name)
    {
        if (name == "HEAD" || name.StartsWith("refs/", StringComparison.Ordinal))
        {
            return name;
        }

        foreach (var prefix in new[] { RefName.HeadsPrefix, RefName.RemotesPrefix, RefName.TagsPrefix })
        {
            if (_database.GetRef(prefix + name) is not null || _database.HasReflog(prefix + name))
            {
                return prefix + name;
            }
        }

        throw new ObjectNotFoundException($"No ref or reflog named '{name}'.");
    }
}
