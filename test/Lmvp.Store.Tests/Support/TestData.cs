namespace Lmvp.Store.Tests.Support;

/// <summary>Deterministic test content.</summary>
public static class TestData
{
    /// <summary>Pseudo-random bytes from a seed (incompressible, like float weights).</summary>
    public static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
