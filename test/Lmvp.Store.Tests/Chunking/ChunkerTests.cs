using Lmvp.Store.Chunking;
using Lmvp.Testing;

namespace Lmvp.Store.Tests.Chunking;

public class ChunkerTests
{
    private static List<(ObjectId Id, int Length)> ChunkAll(byte[] data)
    {
        var chunks = new List<(ObjectId, int)>();
        var pos = 0;
        while (pos < data.Length)
        {
            var len = Chunker.Default.NextChunkLength(data.AsSpan(pos), isFinal: true);
            chunks.Add((ObjectId.Compute(data.AsSpan(pos, len)), len));
            pos += len;
        }

        return chunks;
    }

    [Test]
    public void Chunks_RespectMinAndMaxAndAverageNearTarget()
    {
        var data = TestData.Random(32 << 20, seed: 1);
        var chunks = ChunkAll(data);
        var p = ChunkerParameters.Default;
        chunks.Take(chunks.Count - 1).Should().OnlyContain(c => c.Length >= p.MinSize && c.Length <= p.MaxSize);
        var average = data.Length / (double)chunks.Count;
        average.Should().BeInRange(p.AverageSize * 0.75, p.AverageSize * 1.35);
    }

    [Test]
    public void Chunks_InsertOneByteAtStartOf64MiB_SharesAtLeast95Percent()
    {
        var original = TestData.Random(64 << 20, seed: 2);
        var shifted = new byte[original.Length + 1];
        shifted[0] = 0x5A;
        original.CopyTo(shifted, 1);

        var before = ChunkAll(original).Select(c => c.Id).ToHashSet();
        var after = ChunkAll(shifted);
        var shared = after.Count(c => before.Contains(c.Id));
        (shared / (double)after.Count).Should().BeGreaterThanOrEqualTo(0.95);
    }

    [Test]
    public void Chunks_AreDeterministic_AndCutPointsArePinned()
    {
        // Our own generator, not System.Random: the bytes (and so the expected cuts) must never change.
        var data = new byte[1 << 20];
        ulong state = 42;
        for (var i = 0; i < data.Length; i++)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            data[i] = (byte)state;
        }

        var a = ChunkAll(data);
        ChunkAll(data).Should().Equal(a);
        // Pinned: a change to the gear table or masks changes every chunk id in every repository.
        a.Take(4).Select(c => c.Length).Should().Equal(PinnedCuts);
    }

    private static readonly int[] PinnedCuts = [155987, 66877, 60734, 30110];

    [Test]
    public void Chunks_PreferredCutPoint_IsAlwaysACut()
    {
        var data = TestData.Random(1 << 20, seed: 4);
        var len = Chunker.Default.NextChunkLength(data, isFinal: true, maxLength: 1000);
        len.Should().Be(1000);
    }

    [Test]
    public void NextChunkLength_NotFinalAndShortOfMax_AsksForMoreData()
    {
        var data = TestData.Random(100_000, seed: 5);
        Chunker.Default.NextChunkLength(data, isFinal: false).Should().Be(0);
    }
}
