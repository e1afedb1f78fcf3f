using System.Buffers;

namespace Lmvp.Server.Services;

/// <summary>The pool of the server's request buffers (upload frames, decode scratch, read runs), bounded in what it keeps.</summary>
/// <remarks>The shared array pool keeps one array of each size per thread besides its per-core stacks, and a request's
/// continuations run on whichever thread is free: after a 2 GiB push the server's heap still held 12 arrays over 1 MiB lent by it
/// (dotnet-gcdump), against 2 with this pool, which keeps at most <see cref="KeptPerSize"/> arrays of each size whichever thread
/// returns them; what is rented beyond that is garbage after its request.</remarks>
internal static class ServerBuffers
{
    /// <summary>Arrays kept of each size: the client's uploads in flight, and one more.</summary>
    private const int KeptPerSize = 4;

    /// <summary>The largest array kept: a read run (<see cref="ChunkStore"/>) with its gaps.</summary>
    private const int MaxKeptLength = 8 << 20;

    /// <summary>The pool.</summary>
    public static ArrayPool<byte> Pool { get; } = ArrayPool<byte>.Create(MaxKeptLength, KeptPerSize);

    /// <summary>Gives a buffer rented from <see cref="Pool"/> back, if there is one, and forgets it, so that a failure before the
    /// next rent cannot give it back twice (the pool would then lend it to two requests at once).</summary>
    public static void Return(ref byte[]? buffer)
    {
        if (buffer is not null)
        {
            Pool.Return(buffer);
            buffer = null;
        }
    }
}
