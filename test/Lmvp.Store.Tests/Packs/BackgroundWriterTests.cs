using Lmvp.Store.Packs;
using Lmvp.Testing;

namespace Lmvp.Store.Tests.Packs;

/// <summary><see cref="BackgroundWriter"/>'s blocks are pooled for the whole process: a block lent to two writers at once puts one
/// writer's bytes into the other's file (lmvp-server's spools, issue 10's CI failure), so a failing write must give each block back
/// once.</summary>
public class BackgroundWriterTests
{
    /// <summary>A write error on the writer thread (a full disk) surfaces on the caller's write, and every block goes back to the
    /// pool once: the writers after it each get a block of their own and write their own bytes. Durable writers, as a server's
    /// spools are: their pinned blocks are kept by exact size, and this size is used by no other test, so those blocks are this
    /// test's alone. (Buffered writers share the hand-over code; their pool happened not to lend the twice-returned block again,
    /// so a test of them would pass with the bug too.)</summary>
    [Test]
    public void AWriteErrorMidStream_GivesEachBlockBackOnce_SoLaterWritersNeverShareOne()
    {
        const int blockSize = 3 * DirectFile.Alignment;
        using var dir = new TempDirectory("background-writer");

        // An unaligned start keeps the durable writer off O_DIRECT, so every block goes through the failing stream.
        using (var failing = new FailingFileStream(Path.Combine(dir.Path, "full")))
        using (var writer = new BackgroundWriter(failing, durable: true, blockSize, blocksInFlight: 1))
        {
            // Ten blocks in one write: the third hand-over waits until the writer thread took the second, so by then the first
            // has failed, and the error is thrown right after a block was handed over.
            var write = () => writer.Write(new byte[10 * blockSize]);
            write.Should().Throw<IOException>().WithMessage("*No space left on device*");
        }

        // More writers at once than the failed one had blocks, each holding a block with bytes of its own before any is written.
        var writers = Enumerable.Range(0, 8).Select(i =>
        {
            var stream = new FileStream(Path.Combine(dir.Path, $"after-{i}"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 0);
            var w = new BackgroundWriter(stream, durable: true, blockSize, blocksInFlight: 1);
            w.Write(Pattern(i));
            return (Stream: stream, Writer: w);
        }).ToList();
        foreach (var (stream, w) in writers)
        {
            w.Drain();
            w.Dispose();
            stream.Dispose();
        }

        for (var i = 0; i < writers.Count; i++)
        {
            File.ReadAllBytes(Path.Combine(dir.Path, $"after-{i}")).Should().Equal(Pattern(i), $"writer {i} wrote only its own bytes");
        }
    }

    private static byte[] Pattern(int writer) => Enumerable.Repeat((byte)(writer + 1), 100).ToArray();

    /// <summary>A file whose writes fail as on a full disk, positioned one byte in.</summary>
    private sealed class FailingFileStream : FileStream
    {
        public FailingFileStream(string path)
            : base(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 0)
        {
            Position = 1;
        }

        public override void Write(byte[] buffer, int offset, int count) => throw new IOException("No space left on device (injected)");

        public override void Write(ReadOnlySpan<byte> buffer) => throw new IOException("No space left on device (injected)");
    }
}
