using Lmvp.Store;

namespace Lmvp.Bench.Scenarios;

/// <summary>The parts alone, over an in-memory buffer of float weights: the chunker and BLAKE3.</summary>
internal static class ComponentScenarios
{
    private const int Repeats = 3;
    private const int WarmUpBytes = 64 * 1024 * 1024;
    private const int PieceSize = 64 * 1024;
    private const int IncrementalUpdate = 8 * 1024 * 1024; // the commit pipeline's buffer size

    public static void Chunking(ScenarioContext context)
    {
        var data = CreateBuffer(context);
        var warm = data.AsSpan(0, Math.Min(WarmUpBytes, data.Length));
        for (var i = 0; i < 3; i++)
        {
            StoreInternals.ChunkAll(warm);
        }

        var count = 0;
        var samples = Repeat(() => count = StoreInternals.ChunkAll(data), data.Length);
        context.Add("Chunker alone (FastCDC gear hash, in memory)", ScenarioContext.Median(samples), "MB/s",
            note: $"{ScenarioContext.Size(data.Length)}, median of {Repeats}; {count} chunks, {data.Length / count / 1024.0:0.0} KiB average",
            samples: samples);
    }

    public static void Blake3(ScenarioContext context)
    {
        var data = CreateBuffer(context);
        var lengths = new List<int>();
        StoreInternals.ChunkAll(data, lengths);
        var warm = data.AsSpan(0, Math.Min(WarmUpBytes, data.Length));
        for (var i = 0; i < 3; i++)
        {
            _ = global::Blake3.Hasher.Hash(warm);
            HashPieces(warm, PieceSize);
            HashIncrementally(warm, PieceSize);
        }

        var size = ScenarioContext.Size(data.Length);
        var oneShot = Repeat(() => global::Blake3.Hasher.Hash(data), data.Length);
        context.Add("BLAKE3 one-shot (Hasher.Hash over the whole buffer)", ScenarioContext.Median(oneShot), "MB/s",
            note: $"{size}, median of {Repeats}", samples: oneShot);

        foreach (var (update, why) in new[]
        {
            (data.Length, "one Update of the whole buffer"),
            (IncrementalUpdate, "Update per 8 MiB, as commit's file-id hasher does"),
            (PieceSize, "Update per 64 KiB, as checkout's whole-file check does"),
        })
        {
            var samples = Repeat(() => HashIncrementally(data, update), data.Length);
            context.Add($"BLAKE3 incremental ({why})", ScenarioContext.Median(samples), "MB/s", note: $"{size}, median of {Repeats}", samples: samples);
        }

        var joined = Repeat(() =>
        {
            using var hasher = global::Blake3.Hasher.New();
            hasher.UpdateWithJoin(data);
            _ = hasher.Finalize();
        }, data.Length);
        context.Add("BLAKE3 UpdateWithJoin (multi-threaded, for reference)", ScenarioContext.Median(joined), "MB/s",
            note: $"{size}, median of {Repeats}", samples: joined);

        var pieces = Repeat(() => HashPieces(data, PieceSize), data.Length);
        context.Add("BLAKE3 per 64 KiB piece (ObjectId.Compute)", ScenarioContext.Median(pieces), "MB/s",
            note: $"{size}, median of {Repeats}", samples: pieces);

        var perChunk = Repeat(() =>
        {
            var pos = 0;
            foreach (var len in lengths)
            {
                _ = ObjectId.Compute(data.AsSpan(pos, len));
                pos += len;
            }
        }, data.Length);
        context.Add("BLAKE3 per CDC chunk (ObjectId.Compute on the chunker's cuts)", ScenarioContext.Median(perChunk), "MB/s",
            note: $"{size}, {lengths.Count} chunks, median of {Repeats}", samples: perChunk);
    }

    private static byte[] CreateBuffer(ScenarioContext context)
    {
        var data = GC.AllocateUninitializedArray<byte>(context.Sizes.MicroBytes);
        context.Log($"generating {ScenarioContext.Size(data.Length)} of float32 weights in memory");
        WeightData.FillParallel(data, 0x5EED);
        return data;
    }

    private static void HashIncrementally(ReadOnlySpan<byte> data, int update)
    {
        using var hasher = global::Blake3.Hasher.New();
        for (var pos = 0; pos < data.Length; pos += update)
        {
            hasher.Update(data.Slice(pos, Math.Min(update, data.Length - pos)));
        }

        _ = hasher.Finalize();
    }

    private static void HashPieces(ReadOnlySpan<byte> data, int piece)
    {
        for (var pos = 0; pos < data.Length; pos += piece)
        {
            _ = ObjectId.Compute(data.Slice(pos, Math.Min(piece, data.Length - pos)));
        }
    }

    private static List<double> Repeat(Action action, long bytes)
    {
        var samples = new List<double>(Repeats);
        for (var i = 0; i < Repeats; i++)
        {
            samples.Add(ScenarioContext.MBps(bytes, ScenarioContext.Time(action)));
        }

        return samples;
    }
}
