namespace Lmvp.Store.Tests.Support;

/// <summary>BLAKE3 computed independently of the code under test, to check the ids it records.</summary>
public static class Hashes
{
    public static ObjectId OfFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20, FileOptions.SequentialScan);
        return OfStream(stream);
    }

    public static ObjectId OfStream(Stream stream)
    {
        using var hasher = Blake3.Hasher.New();
        var buffer = new byte[stream.CanSeek ? (int)Math.Clamp(stream.Length - stream.Position, 1, 1 << 20) : 1 << 20];
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            hasher.Update(buffer.AsSpan(0, n));
        }

        return Finish(hasher);
    }

    public static ObjectId Of(ReadOnlySpan<byte> data) => new(Blake3.Hasher.Hash(data).AsSpan());

    public static ObjectId Finish(Blake3.Hasher hasher)
    {
        Span<byte> hash = stackalloc byte[ObjectId.Size];
        hasher.Finalize(hash);
        return new ObjectId(hash);
    }
}
