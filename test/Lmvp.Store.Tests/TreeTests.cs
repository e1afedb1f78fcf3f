using System.Text;
using Lmvp.Store.Tests.Support;

namespace Lmvp.Store.Tests;

public class TreeTests
{
    private static readonly ObjectId SomeId = ObjectId.Compute("some content"u8);

    private static List<TreeEntry> SampleEntries() =>
    [
        new("weights.bin", TreeEntryKind.File, false, 123_456, ObjectId.Compute("w"u8)),
        new("train.sh", TreeEntryKind.File, true, 42, ObjectId.Compute("t"u8)),
        new("checkpoints", TreeEntryKind.Directory, false, 0, ObjectId.Compute("d"u8)),
        new("latest", TreeEntryKind.Symlink, false, 11, ObjectId.Compute("checkpoints"u8), "checkpoints"),
        new("a b ü 模型.bin", TreeEntryKind.File, false, 0, ObjectId.Compute([])),
        new("huge.bin", TreeEntryKind.File, false, long.MaxValue, SomeId),
        new("Zeta", TreeEntryKind.File, false, 1, SomeId),
    ];

    [Test]
    public void Create_ThenDecode_GivesIdenticalEntriesBytesAndId()
    {
        var tree = Tree.Create(SampleEntries());

        var decoded = Tree.Decode(tree.Encoded, tree.Id);

        decoded.Id.Should().Be(tree.Id);
        decoded.Id.Should().Be(Hashes.Of(tree.Encoded));
        decoded.Encoded.Should().Equal(tree.Encoded);
        decoded.Entries.Should().Equal(tree.Entries);
        Tree.Create(decoded.Entries).Encoded.Should().Equal(tree.Encoded);
    }

    [Test]
    public void Create_SortsByOrdinalName_SoTheIdDoesNotDependOnInputOrder()
    {
        var entries = SampleEntries();
        var forward = Tree.Create(entries);
        entries.Reverse();
        var backward = Tree.Create(entries);

        backward.Id.Should().Be(forward.Id);
        forward.Entries.Select(e => e.Name).Should().Equal(entries.Select(e => e.Name).OrderBy(n => n, StringComparer.Ordinal));
        forward.Entries[0].Name.Should().Be("Zeta", "uppercase sorts before lowercase in ordinal order");
    }

    [Test]
    public void Create_EmptyTree_RoundTrips()
    {
        var tree = Tree.Create([]);
        Tree.Decode(tree.Encoded, tree.Id).Entries.Should().BeEmpty();
    }

    [TestCase("")]
    [TestCase(".")]
    [TestCase("..")]
    [TestCase("a/b")]
    [TestCase("/abs")]
    [TestCase("a\\b")]
    [TestCase("nul\0byte")]
    public void Create_RejectsUnsafeNames(string name)
    {
        var create = () => Tree.Create([new TreeEntry(name, TreeEntryKind.File, false, 1, SomeId)]);
        create.Should().Throw<ArgumentException>();
        Tree.IsValidName(name).Should().BeFalse();
    }

    [Test]
    public void Create_RefusesWhatDecodeWouldRefuse_NameOrTargetTooLongInUtf8()
    {
        var longName = new string('模', 342); // 1026 bytes in UTF-8, though only 342 characters
        var name = () => Tree.Create([new TreeEntry(longName, TreeEntryKind.File, false, 1, SomeId)]);
        name.Should().Throw<ArgumentException>();
        var longTarget = new string('é', 2049); // 4098 bytes
        var target = () => Tree.Create([new TreeEntry("l", TreeEntryKind.Symlink, false, 4098, SomeId, longTarget)]);
        target.Should().Throw<ArgumentException>();

        var atLimit = Tree.Create([
            new TreeEntry(new string('模', 341) + "x", TreeEntryKind.File, false, 1, SomeId), // 1024 bytes
            new TreeEntry("l", TreeEntryKind.Symlink, false, 4096, SomeId, new string('é', 2048)),
        ]);
        Tree.Decode(atLimit.Encoded, atLimit.Id).Entries.Should().HaveCount(2);
    }

    [Test]
    public void Create_RejectsDuplicateNames_AndSymlinksWithoutTarget()
    {
        var duplicate = () => Tree.Create([new TreeEntry("x", TreeEntryKind.File, false, 1, SomeId), new TreeEntry("x", TreeEntryKind.Directory, false, 0, SomeId)]);
        duplicate.Should().Throw<ArgumentException>().WithMessage("*Duplicate*");
        var noTarget = () => Tree.Create([new TreeEntry("link", TreeEntryKind.Symlink, false, 1, SomeId)]);
        noTarget.Should().Throw<ArgumentException>();
        var emptyTarget = () => Tree.Create([new TreeEntry("link", TreeEntryKind.Symlink, false, 0, SomeId, "")]);
        emptyTarget.Should().Throw<ArgumentException>();
        var nulTarget = () => Tree.Create([new TreeEntry("link", TreeEntryKind.Symlink, false, 3, SomeId, "a\0b")]);
        nulTarget.Should().Throw<ArgumentException>();
    }

    [Test]
    public void Decode_BytesThatDoNotHashToTheId_AreCorrupt()
    {
        var tree = Tree.Create(SampleEntries());
        var decode = () => Tree.Decode(tree.Encoded, SomeId);
        decode.Should().Throw<CorruptObjectException>().WithMessage($"*{SomeId.ToShortString()}*");
    }

    [Test]
    public void Decode_TruncatedAtEveryLength_IsCorrupt()
    {
        var encoded = Tree.Create(SampleEntries()).Encoded;
        for (var length = 0; length < encoded.Length; length++)
        {
            var cut = encoded[..length];
            DecodeFailure(cut).Should().NotBeNull($"a tree cut to {length} of {encoded.Length} bytes must be rejected");
        }
    }

    private static RawTreeEntry Raw(string name) => RawTreeEntry.File(name, SomeId, 1);

    private static IEnumerable<TestCaseData> MalformedTrees()
    {
        var good = new[] { Raw("a"), Raw("b") };
        yield return new TestCaseData(RawTree.Encode(good, trailing: [0]), "trailing bytes").SetName("Decode_TrailingByte_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode(good, magic: "LTRF"), "wrong magic").SetName("Decode_WrongMagic_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode(good, magic: "LCMT"), "wrong magic").SetName("Decode_CommitMagic_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode(good, version: 2), "version 2").SetName("Decode_FutureVersion_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode(good, version: 0), "version 0").SetName("Decode_VersionZero_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([Raw("b"), Raw("a")]), "out of order").SetName("Decode_EntriesOutOfOrder_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([Raw("a"), Raw("a")]), "out of order or duplicated").SetName("Decode_DuplicateNames_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([Raw("a"), Raw("B")]), "out of order").SetName("Decode_UppercaseAfterLowercase_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([Raw("..")]), "unsafe entry name").SetName("Decode_NameDotDot_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([Raw(".")]), "unsafe entry name").SetName("Decode_NameDot_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([Raw("")]), "unsafe entry name").SetName("Decode_EmptyName_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([Raw("a/b")]), "unsafe entry name").SetName("Decode_NameWithSlash_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([Raw("../../etc/passwd")]), "unsafe entry name").SetName("Decode_ParentTraversal_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([Raw("/etc/passwd")]), "unsafe entry name").SetName("Decode_AbsolutePath_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([Raw("..\\evil")]), "unsafe entry name").SetName("Decode_Backslash_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([Raw("a\0b")]), "unsafe entry name").SetName("Decode_NulInName_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([new RawTreeEntry([0x61, 0xFF], 1, 0, 1, SomeId)]), "invalid UTF-8").SetName("Decode_InvalidUtf8Name_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([new RawTreeEntry([0xC0, 0xAE], 1, 0, 1, SomeId)]), "invalid UTF-8").SetName("Decode_OverlongUtf8Dot_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([new RawTreeEntry([0xED, 0xA0, 0x80], 1, 0, 1, SomeId)]), "invalid UTF-8").SetName("Decode_Utf8Surrogate_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([new RawTreeEntry(Encoding.UTF8.GetBytes(new string('n', 1025)), 1, 0, 1, SomeId)]), "exceeds the limit").SetName("Decode_NameTooLong_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([new RawTreeEntry("a"u8.ToArray(), 0, 0, 1, SomeId)]), "bad fields").SetName("Decode_KindZero_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([new RawTreeEntry("a"u8.ToArray(), 4, 0, 1, SomeId)]), "bad fields").SetName("Decode_UnknownKind_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([new RawTreeEntry("a"u8.ToArray(), 1, 2, 1, SomeId)]), "bad fields").SetName("Decode_ExecutableFlagTwo_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([new RawTreeEntry("a"u8.ToArray(), 1, 0, ulong.MaxValue, SomeId)]), "bad fields").SetName("Decode_SizeBeyondLongMax_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([new RawTreeEntry("l"u8.ToArray(), 3, 0, 1, SomeId)]), "truncated").SetName("Decode_SymlinkWithoutTarget_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([new RawTreeEntry("l"u8.ToArray(), 3, 0, 1, SomeId, [0xFF])]), "invalid UTF-8").SetName("Decode_SymlinkTargetInvalidUtf8_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([new RawTreeEntry("l"u8.ToArray(), 3, 0, 0, SomeId, [])]), "empty target").SetName("Decode_SymlinkEmptyTarget_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([new RawTreeEntry("l"u8.ToArray(), 3, 0, 3, SomeId, "a\0b"u8.ToArray())]), "NUL").SetName("Decode_SymlinkTargetWithNul_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode(good, count: 3), "truncated").SetName("Decode_CountTooHigh_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode(good, count: 1), "trailing bytes").SetName("Decode_CountTooLow_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([], count: Tree.MaxEntries + 1UL), "exceeds the limit").SetName("Decode_CountOverLimit_IsCorrupt");
        yield return new TestCaseData(RawTree.Encode([], count: ulong.MaxValue), "exceeds the limit").SetName("Decode_CountMaxULong_IsCorrupt");
        // A count of zero written in two bytes (0x80 0x00): the same tree must never have two encodings.
        yield return new TestCaseData("LTRE"u8.ToArray().Concat(new byte[] { 1, 0x80, 0x00 }).ToArray(), "non-canonical").SetName("Decode_NonCanonicalCount_IsCorrupt");
        // A ten-byte count whose top group overflows 64 bits and wraps to zero.
        yield return new TestCaseData("LTRE"u8.ToArray().Concat(new byte[] { 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02 }).ToArray(), "integer").SetName("Decode_OverflowingCount_IsCorrupt");
        yield return new TestCaseData("LTRE"u8.ToArray(), "truncated").SetName("Decode_MagicOnly_IsCorrupt");
        yield return new TestCaseData(Array.Empty<byte>(), "truncated").SetName("Decode_Empty_IsCorrupt");
    }

    [TestCaseSource(nameof(MalformedTrees))]
    public void Decode_Malformed_IsCorruptWithAReason(byte[] encoded, string reason)
    {
        var failure = DecodeFailure(encoded);
        failure.Should().NotBeNull();
        failure!.Message.Should().Contain(reason).And.StartWith("Malformed tree");
    }

    [Test]
    public void Decode_LinkTargetAndExecutableBitAreKept()
    {
        var tree = Tree.Create(SampleEntries());
        var decoded = Tree.Decode(tree.Encoded, tree.Id);
        decoded.Entries.Single(e => e.Name == "latest").LinkTarget.Should().Be("checkpoints");
        decoded.Entries.Single(e => e.Name == "train.sh").IsExecutable.Should().BeTrue();
        decoded.Entries.Single(e => e.Name == "weights.bin").IsExecutable.Should().BeFalse();
    }

    /// <summary>Decodes with the id the bytes hash to, so the parser itself is exercised; returns the failure or null.</summary>
    internal static CorruptObjectException? DecodeFailure(byte[] encoded)
    {
        try
        {
            Tree.Decode(encoded, ObjectId.Compute(encoded));
            return null;
        }
        catch (CorruptObjectException e)
        {
            return e;
        }
    }
}
