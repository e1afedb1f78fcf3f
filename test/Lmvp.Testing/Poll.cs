namespace Lmvp.Testing;

/// <summary>Waits for a condition instead of for a time, so a test passes on a busy machine and fails only when the
/// condition never comes.</summary>
public static class Poll
{
    /// <summary>How long a condition may take before the test fails.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    /// <summary>Returns once <paramref name="condition"/> holds; fails the test with <paramref name="what"/> after <see cref="Limit"/>.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Limit)
            {
                throw new TimeoutException($"waited {Limit.TotalSeconds:0} s for {what}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Blocks until <paramref name="condition"/> holds, for set-up code that cannot be asynchronous (starting a service);
    /// throws <see cref="TimeoutException"/> with <paramref name="what"/> after <paramref name="limit"/>, or at once when
    /// <paramref name="giveUp"/> says the condition can no longer come (the process that would bring it has died).
    /// <paramref name="between"/> spaces out checks that cost something themselves (10 ms unless given).</summary>
    public static void Until(Func<bool> condition, string what, TimeSpan limit, Func<bool>? giveUp = null, TimeSpan? between = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit || giveUp?.Invoke() == true)
            {
                throw new TimeoutException($"gave up waiting for {what} after {clock.Elapsed.TotalSeconds:0} s");
            }

            Thread.Sleep(between ?? TimeSpan.FromMilliseconds(10));
        }
    }

    /// <summary>Returns once the asynchronous <paramref name="condition"/> holds; fails the test with <paramref name="what"/> after <see cref="Limit"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > Limit)
            {
                throw new TimeoutException($"waited {Limit.TotalSeconds:0} s for {what}");
            }

            await Task.Delay(10);
        }
    }
}
