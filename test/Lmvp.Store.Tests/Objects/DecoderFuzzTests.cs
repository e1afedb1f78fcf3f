using Lmvp.Store.Objects;

namespace Lmvp.Store.Tests.Objects;

/// <summary>Mutates valid encodings at random: a decoder may only accept or throw <see cref="CorruptObjectException"/>, and
/// whatever it accepts must re-encode to exactly the same bytes (one encoding per object, so ids are stable).</summary>
public class DecoderFuzzTests
{
    private const int Iterations = 3000;

    [Test]
    public void TreeDecoder_MutatedEncodings_OnlyEverThrowsCorruptObject()
    {
        var valid = Tree.Create([
            new TreeEntry("a.bin", TreeEntryKind.File, false, 10, ObjectId.Compute("a"u8)),
            new TreeEntry("dir", TreeEntryKind.Directory, false, 0, ObjectId.Compute("d"u8)),
            new TreeEntry("link", TreeEntryKind.Symlink, false, 5, ObjectId.Compute("a.bin"u8), "a.bin"),
            new TreeEntry("run.sh", TreeEntryKind.File, true, 3, ObjectId.Compute("r"u8)),
        ]).Encoded;

        var accepted = Fuzz(valid, seed: 1, bytes =>
        {
            var tree = Tree.Decode(bytes, ObjectId.Compute(bytes));
            Tree.Create(tree.Entries).Encoded.Should().Equal(bytes, "an accepted tree must be in its one canonical encoding");
        });
        TestContext.Out.WriteLine($"tree: {accepted} of {Iterations} mutations decoded");
    }

    [Test]
    public void CommitDecoder_MutatedEncodings_OnlyEverThrowsCorruptObject()
    {
        var valid = Commit.Create(ObjectId.Compute("t"u8), [ObjectId.Compute("p"u8)], "A <a@b>", DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000),
            "msg", new Dictionary<string, double> { ["a"] = 1, ["b"] = -2.5 }, new Provenance("abc", "main", true, "url")).Encoded;

        var accepted = Fuzz(valid, seed: 2, bytes =>
        {
            var commit = Commit.Decode(bytes, ObjectId.Compute(bytes));
            CommitTests.Recreate(commit).Encoded.Should().Equal(bytes, "an accepted commit must be in its one canonical encoding");
        });
        TestContext.Out.WriteLine($"commit: {accepted} of {Iterations} mutations decoded");
    }

    [Test]
    public void ManifestDecoder_MutatedEncodings_OnlyEverThrowsCorruptObject()
    {
        var sample = FileManifestTests.Sample();
        var valid = sample.Encode();

        var accepted = Fuzz(valid, seed: 3, bytes =>
        {
            var manifest = FileManifest.Decode(bytes, sample.FileId);
            manifest.Encode().Should().Equal(bytes, "an accepted manifest must be in its one canonical encoding");
        });
        TestContext.Out.WriteLine($"manifest: {accepted} of {Iterations} mutations decoded");
    }

    /// <summary>Runs <paramref name="decode"/> on mutations of <paramref name="valid"/>; returns how many were accepted.</summary>
    private static int Fuzz(byte[] valid, int seed, Action<byte[]> decode)
    {
        var random = new Random(seed);
        var accepted = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var mutated = Mutate(valid, random);
            try
            {
                decode(mutated);
                accepted++;
            }
            catch (CorruptObjectException e)
            {
                e.Message.Should().StartWith("Malformed ").And.NotContain("\n");
            }
            catch (Exception e) when (e is not AssertionException)
            {
                Assert.Fail($"Mutation {i} ({Convert.ToHexString(mutated)}) threw {e.GetType().Name}: {e.Message}");
            }
        }

        return accepted;
    }

    private static byte[] Mutate(byte[] valid, Random random)
    {
        var bytes = new List<byte>(valid);
        var edits = 1 + random.Next(3);
        for (var e = 0; e < edits && bytes.Count > 0; e++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(7))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 3:
                    bytes.RemoveAt(at);
                    break;
                case 4:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 5:
                    // Interesting values: varint continuation bits, zero, all ones.
                    bytes[at] = new byte[] { 0x00, 0x7F, 0x80, 0xFF, 0x01 }[random.Next(5)];
                    break;
                default:
                    var length = Math.Min(1 + random.Next(40), bytes.Count - at);
                    bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(at, length));
                    break;
            }
        }

        return [.. bytes];
    }
}
