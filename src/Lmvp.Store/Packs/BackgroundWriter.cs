using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Lmvp.Store.Packs;

/// <summary>Appends to a file through large blocks that a background thread writes, so the kernel's copy of the bytes
/// into the page cache overlaps with the caller's hashing instead of stalling it.</summary>
/// <remarks>
/// The caller copies into a block (4 MiB unless it asks for another size; cheap); full blocks go to a writer thread, a few
/// at a time, so memory stays bounded. The thread starts with the first full block: small packs never pay for it.
/// A write error surfaces on the caller's next write or on <see cref="Drain"/>.
/// A file that will be fsynced (<c>durable</c>) is written around the page cache where the file system allows (Linux
/// O_DIRECT, see <see cref="DirectFile"/>): the disk reads the blocks from memory, so a new pack costs no copy into fresh
/// page-cache pages (on a VM that copy cost more CPU than hashing the file) and the fsync finds nothing left to write. Where
/// O_DIRECT is refused, each block's writeback is started as soon as it is written (sync_file_range), with the same aim.
/// </remarks>
internal sealed class BackgroundWriter : IDisposable
{
    /// <summary>The block size of a writer that does not ask for another.</summary>
    internal const int DefaultBlockSize = 4 * 1024 * 1024;

    /// <summary>Full blocks queued for the writer thread of a writer that does not ask for another number.</summary>
    internal const int DefaultBlocksInFlight = 3;

    /// <summary>Blocks of buffered writers, shared by every writer of the process, at most 4 of each size kept idle: a fresh
    /// 4 MiB block per pack is a large-object allocation the GC frees only at a full collection (lmvp-server writes one pack
    /// per upload request), and the shared array pool would keep one per thread besides.</summary>
    private static readonly ArrayPool<byte> Blocks = ArrayPool<byte>.Create(DefaultBlockSize, 4);

    /// <summary>The pinned blocks of direct writers by block size, kept for the next writer for the same reason (a pinned array
    /// is freed only at a full collection too).</summary>
    private static readonly ConcurrentDictionary<int, ConcurrentBag<byte[]>> PinnedBlocks = new();

    /// <summary>The most bytes of idle pinned blocks kept of each size: 32 of 256 KiB (a server's concurrent uploads), 4 of 2 MiB.</summary>
    private const int MaxIdlePinnedBytes = 8 * 1024 * 1024;

    private readonly Stream _stream;
    private readonly BlockingCollection<(ArraySegment<byte> Block, int Length)> _full;
    private readonly BlockingCollection<ArraySegment<byte>> _free = new();
    private readonly DirectFile? _direct;
    private readonly int _blockSize;
    private readonly int _blocksInFlight;
    private Task? _writer;
    private ExceptionDispatchInfo? _error;
    private ArraySegment<byte> _block;
    private int _used;
    private int _blocksMade = 1;
    private long _written;
    private bool _disposed;

    /// <param name="stream">The file written, from its position.</param>
    /// <param name="durable">A file the caller will fsync: written around the page cache where it can.</param>
    /// <param name="blockSize">The bytes of each write (a multiple of <see cref="DirectFile.Alignment"/>, at most 4 MiB).</param>
    /// <param name="blocksInFlight">Full blocks queued for the writer thread at most; a writer holds two more than this.</param>
    public BackgroundWriter(Stream stream, bool durable = false, int blockSize = DefaultBlockSize, int blocksInFlight = DefaultBlocksInFlight)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(blockSize, DefaultBlockSize);
        if (blockSize <= 0 || blockSize % DirectFile.Alignment != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(blockSize), "A block is a positive multiple of the direct-write alignment.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(blocksInFlight, 1);
        _blockSize = blockSize;
        _blocksInFlight = blocksInFlight;
        _full = new(blocksInFlight);
        _stream = stream;
        Position = stream.Position;
        _written = Position;
        _direct = durable && stream is FileStream file ? DirectFile.TryOpen(file) : null;
        _block = NewBlock();
    }

    /// <summary>The logical end of the file: everything written so far, flushed or not.</summary>
    public long Position { get; private set; }

    public void Write(ReadOnlySpan<byte> data)
    {
        _error?.Throw();
        Position += data.Length;
        while (data.Length > 0)
        {
            var n = Math.Min(data.Length, _block.Count - _used);
            data[..n].CopyTo(_block.AsSpan(_used));
            _used += n;
            data = data[n..];
            if (_used == _block.Count)
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
            WriteBlock(_block, _used);
            _used = 0;
        }

        _error?.Throw();
        if (_direct is not null)
        {
            // Blocks went around the stream: its own position must still say where the file ends.
            _stream.Position = Position;
        }
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

        if (_block.Array is not null)
        {
            ReturnBlock(_block);
        }

        while (_free.TryTake(out var free))
        {
            ReturnBlock(free);
        }

        _full.Dispose();
        _free.Dispose();
        _direct?.Dispose();
    }

    /// <summary>A block of the writer's block size; for direct writes pinned and aligned as O_DIRECT requires.</summary>
    private ArraySegment<byte> NewBlock()
    {
        if (_direct is null)
        {
            return new ArraySegment<byte>(Blocks.Rent(_blockSize), 0, _blockSize);
        }

        // A pinned array does not move, so its aligned offset is the same every time it is lent.
        if (!PinnedBlocks.GetOrAdd(_blockSize, _ => []).TryTake(out var array))
        {
            array = GC.AllocateUninitializedArray<byte>(_blockSize + DirectFile.Alignment, pinned: true);
        }

        return new ArraySegment<byte>(array, DirectFile.AlignedOffset(array), _blockSize);
    }

    private void ReturnBlock(ArraySegment<byte> block)
    {
        if (_direct is null)
        {
            Blocks.Return(block.Array!);
        }
        else if (PinnedBlocks.GetOrAdd(_blockSize, _ => []) is var idle && idle.Count < MaxIdlePinnedBytes / _blockSize)
        {
            idle.Add(block.Array!);
        }
    }

    private void Hand()
    {
        _writer ??= Task.Factory.StartNew(WriteBlocks, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        _full.Add((_block, _used));
        // The writer thread owns the block now and puts it in _free, written or not. Kept here as well, a write error thrown
        // below left it to be given back twice on dispose, and the pool then lent it to two writers at once: one upload's bytes
        // in another's pack.
        _block = default;
        _used = 0;
        _error?.Throw();
        if (!_free.TryTake(out var next))
        {
            if (_blocksMade < _blocksInFlight + 2)
            {
                _blocksMade++;
                next = NewBlock();
            }
            else
            {
                next = _free.Take();
            }
        }

        _block = next;
    }

    private void WriteBlocks()
    {
        foreach (var (block, length) in _full.GetConsumingEnumerable())
        {
            if (_error is null)
            {
                try
                {
                    WriteBlock(block, length);
                }
                catch (Exception e)
                {
                    _error = ExceptionDispatchInfo.Capture(e);
                }
            }

            _free.Add(block);
        }
    }

    /// <summary>Writes one block at the end of what is written: around the page cache when it can, else through the stream.</summary>
    private void WriteBlock(ArraySegment<byte> block, int length)
    {
        if (_direct is null)
        {
            _stream.Write(block.Array!, block.Offset, length);
        }
        else if (!_direct.TryWrite(block.AsSpan(0, length), _written))
        {
            // The last, partial block (or a file system that refused a direct write): through the page cache.
            _stream.Position = _written;
            _stream.Write(block.Array!, block.Offset, length);
            _direct.StartWriteback(_written, length);
        }

        _written += length;
    }
}
