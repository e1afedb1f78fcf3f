using Lmvp.Server.Storage;

namespace Lmvp.Server.Auth;

/// <summary>Limits password guessing, per account and per client address: after too many failed sign-ins in a window, further
/// attempts for that account, or from that address, are refused (429 with Retry-After) until the window ends, before any
/// password is checked.</summary>
/// <remarks>
/// Only failures count: a user who signs in correctly is never slowed, and one account under attack, or one address guessing,
/// delays nobody else. A successful sign-in clears its account's count (not its address's, so that an attacker with an account
/// cannot reset the address between guesses). The counts live in the metadata store, so every server on a shared database
/// throttles together. Fixed windows: <see cref="AccountLimit"/> failures per account and <see cref="AddressLimit"/> per
/// address in <see cref="Window"/>; a refused attempt does not count, so an attacker cannot extend a lockout by hammering.
/// </remarks>
internal sealed class SignInThrottle(ISignInThrottleStore store, TimeProvider time)
{
    /// <summary>Failed sign-ins allowed per account in one window.</summary>
    public const int AccountLimit = 10;

    /// <summary>Failed sign-ins allowed from one client address in one window.</summary>
    public const int AddressLimit = 30;

    /// <summary>How long a window lasts.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    /// <summary>Null when a sign-in as <paramref name="userName"/> from <paramref name="address"/> may be tried now, else how long to wait.</summary>
    public async Task<TimeSpan?> CheckAsync(string userName, string address, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var counts = await store.GetAsync(Keys(userName, address), now - Window, cancellationToken).ConfigureAwait(false);
        TimeSpan? wait = null;
        foreach (var c in counts)
        {
            if (c.Failures >= Limit(c.Key))
            {
                var left = c.WindowStart + Window - now;
                wait = wait is { } w && w > left ? w : left;
            }
        }

        return wait is { } t ? (t < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : t) : null;
    }

    /// <summary>Counts a failed sign-in.</summary>
    public Task FailedAsync(string userName, string address, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return store.RecordFailureAsync(Keys(userName, address), now, now - Window, cancellationToken);
    }

    /// <summary>Clears the account's failures after a correct password.</summary>
    public Task SucceededAsync(string userName, CancellationToken cancellationToken) => store.ResetAsync(AccountKey(userName), cancellationToken);

    private static string[] Keys(string userName, string address) => address.Length == 0 ? [AccountKey(userName)] : [AccountKey(userName), "address:" + address];

    private static string AccountKey(string userName) => "account:" + userName.ToLowerInvariant();

    private static int Limit(string key) => key.StartsWith("account:", StringComparison.Ordinal) ? AccountLimit : AddressLimit;
}
