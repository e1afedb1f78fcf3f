using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Lmvp.Store.Packs;

/// <summary>Appends to a file through large blocks that a background thread writes, so the kernel's copy of the bytes
/// into the page cache overlaps with the caller's hashing instead of stalling it.</summary>
/// <remarks>
/// The caller copies into a 4 MiB block (cheap); full blocks go to a writer thread, at most <see cref="BlocksInFlight"/>
/// at a time, so memory stays bounded. The thread starts with the first full block: small packs never pay for it.
/// A write error surfaces on the caller's next write or on <see cref="Drain"/>.
/// </remarks>
internal sealed class BackgroundWriter : IDisposable
{
    private const int BlockSize = 4 * 1024 * 1024;
    private const int BlocksInFlight = 3;

    private readonly Stream _stream;
    private readonly BlockingCollection<(byte[] Block, int Length)> _full = new(BlocksInFlight);
    private readonly BlockingCollection<byte[]> _free = new();
    private Task? _writer;
    private ExceptionDispatchInfo? _error;
    private byte[] _block = new byte[BlockSize];
    private int _used;
    private int _blocksMade = 1;
    private bool _disposed;

    public BackgroundWriter(Stream stream)
    {
        _stream = stream;
        Position = stream.Position;
    }

    /// <summary>The logical end of the file: everything written so far, flushed or not.</summary>
    public long Position { get; private set; }

    public void Write(ReadOnlySpan<byte> data)
    {
        _error?.Throw();
        Position += data.Length;
        while (data.Length > 0)
        {
            var n = Math.Min(data.Length, _block.Length - _used);
            data[..n].CopyTo(_block.AsSpan(_used));
            _used += n;
            data = data[n..];
            if (_used == _block.Length)
            {
                Hand();
            }
        }
    }

    /// <summary>Waits until every byte written so far is in the file (not yet on disk).</summary>
    public void Drain()
    {
        if (_writer is not null)
        {
            if (_used > 0)
            {
                Hand();
            }

            _full.CompleteAdding();
            _writer.Wait();
            _writer = null;
        }
        else if (_used > 0)
        {
            _stream.Write(_block, 0, _used);
            _used = 0;
        }

        _error?.Throw();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_writer is not null)
        {
            _full.CompleteAdding();
            try
            {
                _writer.Wait();
            }
            catch (AggregateException)
            {
                // Abandoning the file: a failed write no longer matters.
            }
        }

        _full.Dispose();
        _free.Dispose();
    }

    private void Hand()
    {
        _writer ??= Task.Factory.StartNew(WriteBlocks, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        _full.Add((_block, _used));
        _error?.Throw();
        if (!_free.TryTake(out var next))
        {
            if (_blocksMade < BlocksInFlight + 2)
            {
                _blocksMade++;
                next = new byte[BlockSize];
            }
            else
            {
                next = _free.Take();
            }
        }

        _block = next;
        _used = 0;
    }

    private void WriteBlocks()
    {
        foreach (var (block, length) in _full.GetConsumingEnumerable())
        {
            if (_error is null)
            {
                try
                {
                    _stream.Write(block, 0, length);
                }
                catch (Exception e)
                {
                    _error = ExceptionDispatchInfo.Capture(e);
                }
            }

            _free.Add(block);
        }
    }
}
