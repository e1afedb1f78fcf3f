using System.Security.Cryptography;

namespace Lmvp.Testing;

/// <summary>Deterministic test content and whole-tree fingerprints.</summary>
public static class TestData
{
    public const int MiB = 1024 * 1024;

    /// <summary>Pseudo-random bytes from a seed (incompressible, like float weights).</summary>
    public static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Every file and symlink under <paramref name="root"/> (except .lmvp) mapped to the SHA-256 of its content or "link:TARGET".</summary>
    public static Dictionary<string, string> Fingerprint(string root)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var full in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var relative = Path.GetRelativePath(root, full).Replace(Path.DirectorySeparatorChar, '/');
            if (relative == ".lmvp" || relative.StartsWith(".lmvp/", StringComparison.Ordinal))
            {
                continue;
            }

            var info = new FileInfo(full);
            if (info.LinkTarget is { } target)
            {
                result[relative] = "link:" + target;
            }
            else if (!info.Attributes.HasFlag(FileAttributes.Directory))
            {
                result[relative] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(full)));
            }
        }

        return result;
    }
}
