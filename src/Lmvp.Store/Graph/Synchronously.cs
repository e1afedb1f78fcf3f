namespace Lmvp.Store.Graph;

/// <summary>Runs the asynchronous algorithms for synchronous callers.</summary>
/// <remarks>Over a source that completes synchronously (the client's index) nothing here waits: the value is already there.
/// Over any other source the calling thread blocks until the answer comes.</remarks>
internal static class Synchronously
{
    public static T Wait<T>(ValueTask<T> task) => task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();

    public static void Wait(ValueTask task)
    {
        if (!task.IsCompletedSuccessfully)
        {
            task.AsTask().GetAwaiter().GetResult();
        }
    }

    public static IEnumerable<T> Enumerate<T>(IAsyncEnumerable<T> source)
    {
        var e = source.GetAsyncEnumerator();
        try
        {
            while (Wait(e.MoveNextAsync()))
            {
                yield return e.Current;
            }
        }
        finally
        {
            Wait(e.DisposeAsync());
        }
    }

    /// <summary>An asynchronous view of a synchronous sequence whose every step completes at once.</summary>
    public static IAsyncEnumerable<T> AsAsync<T>(IEnumerable<T> source) => new CompletedEnumerable<T>(source);

    private sealed class CompletedEnumerable<T>(IEnumerable<T> source) : IAsyncEnumerable<T>
    {
        public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) => new Enumerator(source.GetEnumerator(), cancellationToken);

        private sealed class Enumerator(IEnumerator<T> inner, CancellationToken cancellationToken) : IAsyncEnumerator<T>
        {
            public T Current => inner.Current;

            public ValueTask<bool> MoveNextAsync()
            {
                cancellationToken.ThrowIfCancellationRequested();
                return new(inner.MoveNext());
            }

            public ValueTask DisposeAsync()
            {
                inner.Dispose();
                return default;
            }
        }
    }
}
