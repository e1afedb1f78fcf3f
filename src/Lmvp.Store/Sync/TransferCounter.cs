namespace Lmvp.Store.Sync;

/// <summary>Running totals of one sync operation; safe to update from the HTTP stack's threads.</summary>
internal sealed class TransferCounter
{
    private int _requests;
    private int _retries;
    private long _bytesSent;
    private long _bytesReceived;
    private long _chunksSent;
    private long _chunkBytesSent;
    private long _objectsSent;
    private long _chunksReceived;
    private long _chunkBytesReceived;
    private long _objectsReceived;
    private long _chunkWireBytesSent;
    private long _chunkWireBytesReceived;
    private long _logicalBytes;

    public long BytesSent => Interlocked.Read(ref _bytesSent);

    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    public void Request(bool retry)
    {
        Interlocked.Increment(ref _requests);
        if (retry)
        {
            Interlocked.Increment(ref _retries);
        }
    }

    public void Sent(long bytes) => Interlocked.Add(ref _bytesSent, bytes);

    public void Received(long bytes) => Interlocked.Add(ref _bytesReceived, bytes);

    public void ChunksSent(long count, long bytes, long wireBytes)
    {
        Interlocked.Add(ref _chunksSent, count);
        Interlocked.Add(ref _chunkBytesSent, bytes);
        Interlocked.Add(ref _chunkWireBytesSent, wireBytes);
    }

    /// <summary>Counts bytes of the files the operation moves (each file version once).</summary>
    public void Logical(long bytes) => Interlocked.Add(ref _logicalBytes, bytes);

    public void ObjectsSent(long count) => Interlocked.Add(ref _objectsSent, count);

    public void ChunkReceived(long bytes, long wireBytes)
    {
        Interlocked.Increment(ref _chunksReceived);
        Interlocked.Add(ref _chunkBytesReceived, bytes);
        Interlocked.Add(ref _chunkWireBytesReceived, wireBytes);
    }

    public void ObjectsReceived(long count) => Interlocked.Add(ref _objectsReceived, count);

    public TransferStats ToStats() => new(
        Volatile.Read(ref _requests), Volatile.Read(ref _retries), BytesSent, BytesReceived,
        Interlocked.Read(ref _chunksSent), Interlocked.Read(ref _chunkBytesSent), Interlocked.Read(ref _objectsSent),
        Interlocked.Read(ref _chunksReceived), Interlocked.Read(ref _chunkBytesReceived), Interlocked.Read(ref _objectsReceived),
        Interlocked.Read(ref _logicalBytes), Interlocked.Read(ref _chunkWireBytesSent), Interlocked.Read(ref _chunkWireBytesReceived));
}
