using System.Runtime.CompilerServices;
using Lmvp.Server.Storage;

namespace Lmvp.Server.Tests.Storage;

/// <summary>A blob store that fails on purpose: puts and reads that throw, and reads that return fewer bytes than asked,
/// over a real store underneath.</summary>
internal sealed class FaultyBlobStore(IBlobStore inner) : IBlobStore, IDisposable
{
    private int _puts;
    private int _reads;

    /// <summary>Puts throw an <see cref="IOException"/> (as a full or failing disk does) after copying part of the bytes.</summary>
    public bool FailPuts { get; set; }

    /// <summary>Reads throw an <see cref="IOException"/>.</summary>
    public bool FailReads { get; set; }

    /// <summary>When set, no read returns more than this many bytes, and every third returns a single byte.</summary>
    public int? ShortReads { get; set; }

    /// <summary>Puts that reached the inner store.</summary>
    public int Puts => _puts;

    /// <summary>Reads served, short or not.</summary>
    public int Reads => _reads;

    private TaskCompletionSource? _gate;
    private int _held;

    /// <summary>From now on puts wait (after reading nothing) until <see cref="ReleasePuts"/>.</summary>
    public void HoldPuts() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets the held puts, and every later one, go on.</summary>
    public void ReleasePuts() => Interlocked.Exchange(ref _gate, null)?.TrySetResult();

    /// <summary>Puts waiting for <see cref="ReleasePuts"/> now.</summary>
    public int HeldPuts => Volatile.Read(ref _held);

    public async Task PutAsync(string name, Stream content, CancellationToken cancellationToken)
    {
        if (_gate is { } gate)
        {
            Interlocked.Increment(ref _held);
            await gate.Task.WaitAsync(cancellationToken);
            Interlocked.Decrement(ref _held);
        }

        if (FailPuts)
        {
            // A put that dies part-way: the provider must leave nothing behind.
            await inner.PutAsync(name, new BreakingStream(content), cancellationToken);
        }

        Interlocked.Increment(ref _puts);
        await inner.PutAsync(name, content, cancellationToken);
    }

    public int RunBytes => inner.RunBytes;

    public Task<int> ReadAsync(string name, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (FailReads)
        {
            throw new IOException("injected read failure");
        }

        var n = Interlocked.Increment(ref _reads);
        if (ShortReads is { } max)
        {
            destination = destination[..Math.Min(destination.Length, n % 3 == 0 ? 1 : max)];
        }

        return inner.ReadAsync(name, offset, destination, cancellationToken);
    }

    public Task<long?> GetLengthAsync(string name, CancellationToken cancellationToken) => inner.GetLengthAsync(name, cancellationToken);

    public async IAsyncEnumerable<BlobInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var blob in inner.ListAsync(prefix, cancellationToken))
        {
            yield return blob;
        }
    }

    public Task<bool> DeleteAsync(string name, CancellationToken cancellationToken) => inner.DeleteAsync(name, cancellationToken);

    public void Dispose() => (inner as IDisposable)?.Dispose();

    /// <summary>Passes some bytes through, then fails as a dying disk does.</summary>
    private sealed class BreakingStream(Stream inner) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_read > 4096)
            {
                throw new IOException("No space left on device (injected)");
            }

            var n = inner.Read(buffer[..Math.Min(buffer.Length, 4096)]);
            _read += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
