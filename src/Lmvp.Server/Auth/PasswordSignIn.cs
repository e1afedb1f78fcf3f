using Lmvp.Server.Services;
using Lmvp.Server.Storage;

namespace Lmvp.Server.Auth;

/// <summary>The outcome of a password sign-in: the user, or why not.</summary>
/// <param name="User">The user whose password matched, or null.</param>
/// <param name="RetryAfter">Set when the attempt was refused by the throttle, without checking the password: how long to wait.</param>
internal sealed record SignInOutcome(UserRecord? User, TimeSpan? RetryAfter)
{
    /// <summary>The one line a refused attempt is told.</summary>
    public string ThrottledMessage =>
        $"too many failed sign-ins for this account or from this address: try again in {Math.Ceiling(RetryAfter!.Value.TotalSeconds):0} s";
}

/// <summary>Checks a user name and password for the web sign-in and the API login alike: throttled first, audited after.</summary>
internal sealed class PasswordSignIn(IUserStore users, SignInThrottle throttle, AuditTrail audit)
{
    /// <summary>The enabled user <paramref name="userName"/> when <paramref name="password"/> is theirs and the throttle allows the attempt.</summary>
    /// <param name="userName">The name given.</param>
    /// <param name="password">The password given.</param>
    /// <param name="address">The client's address.</param>
    /// <param name="via">web or api, for the audit log.</param>
    /// <param name="cancellationToken">Stops the check.</param>
    public async Task<SignInOutcome> SignInAsync(string userName, string password, string address, string via, CancellationToken cancellationToken)
    {
        // Refused before the password is hashed: a flood of guesses costs no PBKDF2 time that other users' sign-ins would wait for.
        if (await throttle.CheckAsync(userName, address, cancellationToken).ConfigureAwait(false) is { } wait)
        {
            await audit.RecordAsync(AuditKinds.SignInThrottled, null, userName, address, null, userName, via, cancellationToken).ConfigureAwait(false);
            return new SignInOutcome(null, wait);
        }

        var user = Lmvp.Server.Api.Names.IsValid(userName) ? await users.FindUserAsync(userName, cancellationToken).ConfigureAwait(false) : null;
        if (!Passwords.Verify(user?.PasswordHash, password) || user is null || user.IsDisabled)
        {
            await throttle.FailedAsync(userName, address, cancellationToken).ConfigureAwait(false);
            await audit.RecordAsync(AuditKinds.SignInFailed, user?.Id, userName, address, null, userName,
                user is null ? $"{via}: no such user" : user.IsDisabled ? $"{via}: the user is disabled" : $"{via}: wrong password", cancellationToken).ConfigureAwait(false);
            return new SignInOutcome(null, null);
        }

        await throttle.SucceededAsync(userName, cancellationToken).ConfigureAwait(false);
        await audit.RecordAsync(AuditKinds.SignIn, user.Id, user.Name, address, null, user.Name, via, cancellationToken).ConfigureAwait(false);
        return new SignInOutcome(user, null);
    }
}
