using Lmvp.Store.Objects;
using Lmvp.Store.Tests.Support;

namespace Lmvp.Store.Tests;

public class CommitTests
{
    private static readonly ObjectId TreeId = ObjectId.Compute("tree"u8);
    private static readonly DateTimeOffset When = new(2025, 3, 4, 5, 6, 7, 891, TimeSpan.FromHours(2));

    private static Commit Sample(Provenance? provenance = null) => Commit.Create(
        TreeId,
        [ObjectId.Compute("p1"u8), ObjectId.Compute("p2"u8)],
        "Ada Lovelace <ada@example.com>",
        When,
        "epoch 3\n\nlonger body, ünïcødé 模型",
        new Dictionary<string, double> { ["loss"] = 0.41, ["acc"] = 0.93, ["lr"] = 3e-4, ["neg"] = -1.5 },
        provenance ?? new Provenance("0123456789abcdef0123456789abcdef01234567", "main", true, "https://example.com/team/train.git"));

    [Test]
    public void Create_ThenDecode_GivesIdenticalFieldsBytesAndId()
    {
        var commit = Sample();

        var decoded = Commit.Decode(commit.Encoded, commit.Id);

        decoded.Id.Should().Be(commit.Id).And.Be(Hashes.Of(commit.Encoded));
        decoded.Encoded.Should().Equal(commit.Encoded);
        decoded.TreeId.Should().Be(TreeId);
        decoded.Parents.Should().Equal(commit.Parents);
        decoded.Author.Should().Be(commit.Author);
        decoded.Time.Should().Be(commit.Time);
        decoded.Message.Should().Be(commit.Message);
        decoded.Subject.Should().Be("epoch 3");
        decoded.Metrics.Should().Equal(commit.Metrics);
        decoded.Provenance.Should().Be(commit.Provenance);
        Recreate(decoded).Encoded.Should().Equal(commit.Encoded);
    }

    [Test]
    public void Create_SortsMetricsByName_AndKeepsTimeInUtcMilliseconds()
    {
        var commit = Sample();
        commit.Metrics.Select(m => m.Key).Should().Equal("acc", "loss", "lr", "neg");
        commit.Time.Offset.Should().Be(TimeSpan.Zero);
        commit.Time.Should().Be(When);
        var withTicks = Commit.Create(TreeId, [], "a", When.AddTicks(1234), "m", [], null);
        withTicks.Time.Should().Be(When, "sub-millisecond ticks are dropped so that decode gives back the same value");
        withTicks.Id.Should().Be(Commit.Create(TreeId, [], "a", When, "m", [], null).Id);
    }

    [Test]
    public void Create_WithoutProvenanceOrParents_RoundTrips()
    {
        var commit = Commit.Create(TreeId, [], "", DateTimeOffset.UnixEpoch, "first", [], null);
        var decoded = Commit.Decode(commit.Encoded, commit.Id);
        decoded.Provenance.Should().BeNull();
        decoded.Parents.Should().BeEmpty();
        Recreate(decoded).Encoded.Should().Equal(commit.Encoded);
    }

    [Test]
    public void Create_DetachedProvenanceWithoutOrigin_RoundTripsAsNulls()
    {
        var commit = Sample(new Provenance("0123456789abcdef0123456789abcdef01234567", null, false, null));
        var decoded = Commit.Decode(commit.Encoded, commit.Id);
        decoded.Provenance.Should().Be(new Provenance("0123456789abcdef0123456789abcdef01234567", null, false, null));
    }

    [TestCase(double.NaN)]
    [TestCase(double.PositiveInfinity)]
    [TestCase(double.NegativeInfinity)]
    public void Create_NonFiniteMetric_IsKeptExactlyInAVersion2Commit(double value)
    {
        var commit = Commit.Create(TreeId, [], "a", When, "m", new Dictionary<string, double> { ["loss"] = value, ["acc"] = 0.5 }, null);

        commit.Encoded[4].Should().Be(2, "version 1 cannot hold a value that is not finite");
        var decoded = Commit.Decode(commit.Encoded, commit.Id);
        decoded.Metrics.Single(m => m.Key == "loss").Value.Should().Be(value);
        Recreate(decoded).Encoded.Should().Equal(commit.Encoded);
    }

    [Test]
    public void Create_AnyNaN_IsStoredAsTheOneCanonicalNaN()
    {
        var negativeNaN = BitConverter.UInt64BitsToDouble(0xFFF8_0000_0000_0000); // what .NET's double.NaN is on x64
        var payloadNaN = BitConverter.UInt64BitsToDouble(0x7FF0_0000_0000_0001);
        var a = Commit.Create(TreeId, [], "a", When, "m", [new("loss", negativeNaN)], null);
        var b = Commit.Create(TreeId, [], "a", When, "m", [new("loss", payloadNaN)], null);

        a.Id.Should().Be(b.Id);
        BitConverter.DoubleToUInt64Bits(a.Metrics[0].Value).Should().Be(0x7FF8_0000_0000_0000);
    }

    [Test]
    public void Create_WithParams_IsVersion2AndRoundTripsNumbersAndStrings()
    {
        var parameters = new Dictionary<string, ParamValue> { ["lr"] = 3e-4, ["optimizer"] = "adamw", ["batch"] = 32, ["tag"] = "", ["v"] = "1.10" };
        var commit = Commit.Create(TreeId, [], "a", When, "m", [new("loss", 0.5)], null, parameters);

        commit.Encoded[4].Should().Be(2);
        var decoded = Commit.Decode(commit.Encoded, commit.Id);
        decoded.Params.Select(p => p.Key).Should().Equal("batch", "lr", "optimizer", "tag", "v");
        decoded.Params.Should().Equal(commit.Params);
        decoded.Params.Single(p => p.Key == "lr").Value.Number.Should().Be(3e-4);
        decoded.Params.Single(p => p.Key == "v").Value.Text.Should().Be("1.10");
        Commit.Create(decoded.TreeId, decoded.Parents, decoded.Author, decoded.Time, decoded.Message, decoded.Metrics, decoded.Provenance, decoded.Params)
            .Encoded.Should().Equal(commit.Encoded);
    }

    [Test]
    public void Create_WithoutAnythingNew_IsVersion1WithTheIdItAlwaysHad()
    {
        // Written by hand in version 1's layout: what every earlier lmvp wrote for these fields.
        var raw = new RawCommit().Encode();
        var old = Commit.Decode(raw, ObjectId.Compute(raw));

        var made = Commit.Create(old.TreeId, old.Parents, old.Author, old.Time, old.Message, old.Metrics, null, []);

        made.Encoded[4].Should().Be(1);
        made.Id.Should().Be(ObjectId.Compute(raw));
        old.Params.Should().BeEmpty();
    }

    [Test]
    public void Create_DirtyFileNames_AreSortedRecordedAndRoundTrip()
    {
        var provenance = new Provenance("0123456789abcdef0123456789abcdef01234567", "main", true, null) { DirtyFiles = ["train.py", "data/prep.py", "train.py"] };
        var commit = Commit.Create(TreeId, [], "a", When, "m", [], provenance);

        commit.Encoded[4].Should().Be(2);
        Commit.Decode(commit.Encoded, commit.Id).Provenance!.DirtyFiles.Should().Equal("data/prep.py", "train.py");
        var clean = () => Commit.Create(TreeId, [], "a", When, "m", [], provenance with { IsDirty = false });
        clean.Should().Throw<ArgumentException>().WithMessage("*dirty*");
    }

    [Test]
    public void Create_RejectsDuplicateAndBlankParamsAndLongValues()
    {
        var blank = () => Commit.Create(TreeId, [], "a", When, "m", [], null, [new(" ", 1)]);
        blank.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("parameters");
        var twice = () => Commit.Create(TreeId, [], "a", When, "m", [], null, [new("lr", 1), new("lr", 2)]);
        twice.Should().Throw<ArgumentException>().WithMessage("*twice*");
        var longValue = () => Commit.Create(TreeId, [], "a", When, "m", [], null, [new("path", new string('x', 4097))]);
        longValue.Should().Throw<ArgumentException>().WithMessage("*path*");
    }

    [TestCase("")]
    [TestCase("  ")]
    public void Create_RejectsBlankMetricNames(string name)
    {
        var create = () => Commit.Create(TreeId, [], "a", When, "m", new Dictionary<string, double> { [name] = 1 }, null);
        create.Should().Throw<ArgumentException>();
    }

    private static IEnumerable<TestCaseData> TooLargeToDecode()
    {
        var big = new string('x', 4097);
        yield return new TestCaseData((Func<Commit>)(() => Commit.Create(TreeId, [], "a", When, new string('m', (1 << 20) + 1), [], null)), "message")
            .SetName("Create_MessageOverOneMiB_IsRefused");
        yield return new TestCaseData((Func<Commit>)(() => Commit.Create(TreeId, [], "a", When, new string('模', 400_000), [], null)), "message")
            .SetName("Create_MessageOverOneMiBInUtf8_IsRefused");
        yield return new TestCaseData((Func<Commit>)(() => Commit.Create(TreeId, [], big, When, "m", [], null)), "author")
            .SetName("Create_AuthorOver4KiB_IsRefused");
        yield return new TestCaseData((Func<Commit>)(() => Commit.Create(TreeId, [], "a", When, "m", new Dictionary<string, double> { [big] = 1 }, null)), "metrics")
            .SetName("Create_MetricNameOver4KiB_IsRefused");
        yield return new TestCaseData((Func<Commit>)(() => Commit.Create(TreeId, [], "a", When, "m",
            Enumerable.Range(0, Commit.MaxMetrics + 1).Select(i => new KeyValuePair<string, double>($"m{i}", i)), null)), "metrics")
            .SetName("Create_MoreMetricsThanDecodeAccepts_IsRefused");
        yield return new TestCaseData((Func<Commit>)(() => Commit.Create(TreeId, [], "a", When, "m", [], new Provenance("abc", null, false, "https://" + big))), "provenance")
            .SetName("Create_OriginUrlOver4KiB_IsRefused");
    }

    [TestCaseSource(nameof(TooLargeToDecode))]
    public void Create_AnythingDecodeWouldRefuse_IsRefusedUpFront(Func<Commit> create, string parameter)
    {
        create.Should().Throw<ArgumentException>().Which.ParamName.Should().Be(parameter);
    }

    [Test]
    public void Create_AtEveryLimit_StillDecodes()
    {
        var atLimit = Commit.Create(TreeId, [], new string('a', 4096), When, new string('m', 1 << 20),
            Enumerable.Range(0, Commit.MaxMetrics).Select(i => new KeyValuePair<string, double>($"m{i:D4}", i)),
            new Provenance(new string('c', 4096), new string('b', 4096), true, new string('o', 4096)));
        Commit.Decode(atLimit.Encoded, atLimit.Id).Metrics.Should().HaveCount(Commit.MaxMetrics);
    }

    [Test]
    public void Create_RejectsDuplicateMetricsAndTooManyParents()
    {
        var duplicate = () => Commit.Create(TreeId, [], "a", When, "m", [new("x", 1), new("x", 2)], null);
        duplicate.Should().Throw<ArgumentException>().WithMessage("*twice*");
        var parents = Enumerable.Range(0, Commit.MaxParents + 1).Select(i => ObjectId.Compute([(byte)i])).ToArray();
        var tooMany = () => Commit.Create(TreeId, parents, "a", When, "m", [], null);
        tooMany.Should().Throw<ArgumentException>();
    }

    [Test]
    public void Decode_BytesThatDoNotHashToTheId_AreCorrupt()
    {
        var decode = () => Commit.Decode(Sample().Encoded, TreeId);
        decode.Should().Throw<CorruptObjectException>().WithMessage($"*{TreeId.ToShortString()}*");
    }

    [Test]
    public void Decode_TruncatedAtEveryLength_IsCorrupt()
    {
        var encoded = Sample().Encoded;
        for (var length = 0; length < encoded.Length; length++)
        {
            DecodeFailure(encoded[..length]).Should().NotBeNull($"a commit cut to {length} of {encoded.Length} bytes must be rejected");
        }
    }

    private static IEnumerable<TestCaseData> MalformedCommits()
    {
        yield return Case(new RawCommit { Trailing = [0] }, "trailing bytes", "TrailingByte");
        yield return Case(new RawCommit { Magic = "LTRE"u8.ToArray() }, "wrong magic", "TreeMagic");
        yield return Case(new RawCommit { Version = 3 }, "unsupported version 3", "FutureVersion");
        yield return Case(new RawCommit { Version = 2, Params = [] }, "version 2 without params", "Version2WithNothingNew");
        yield return Case(new RawCommit { Version = 2, Params = [("lr", 7, 1.0)] }, "param of unknown kind", "ParamOfUnknownKind");
        yield return Case(new RawCommit { Version = 2, Params = [("b", 0, 1.0), ("a", 0, 2.0)] }, "params out of order", "ParamsOutOfOrder");
        yield return Case(new RawCommit { Version = 2, Params = [("", 1, "x")] }, "a param without a name", "EmptyParamName");
        yield return Case(new RawCommit { Version = 2, Params = [("x", 0, double.NaN)] }, "canonical", "NonCanonicalNaNParam");
        yield return Case(new RawCommit { Version = 2, ProvenanceFlag = 1, DirtyFiles = ["a.py"], Params = [] }, "dirty files named in a clean provenance", "DirtyFilesOfACleanTree");
        yield return Case(new RawCommit { Version = 2, ProvenanceFlag = 1, Dirty = 1, DirtyFiles = ["b.py", "a.py"], Params = [] }, "dirty files out of order", "DirtyFilesOutOfOrder");
        yield return Case(new RawCommit { ParentCount = Commit.MaxParents + 1 }, "exceeds the limit", "TooManyParents");
        yield return Case(new RawCommit { ParentCount = 3 }, "Malformed commit", "ParentCountPastTheParents");
        yield return Case(new RawCommit { AuthorBytes = [0xFF] }, "invalid UTF-8", "InvalidUtf8Author");
        yield return Case(new RawCommit { MessageBytes = [0xE2, 0x82] }, "invalid UTF-8", "TruncatedUtf8Message");
        yield return Case(new RawCommit { Millis = 253402300800000 }, "time out of range", "TimeAfterYear9999");
        yield return Case(new RawCommit { Millis = long.MinValue }, "time out of range", "TimeFarBeforeYear1");
        yield return Case(new RawCommit { Metrics = [("b", 1), ("a", 2)] }, "metrics", "MetricsOutOfOrder");
        yield return Case(new RawCommit { Metrics = [("a", 1), ("a", 2)] }, "metrics", "DuplicateMetric");
        yield return Case(new RawCommit { Metrics = [("a", double.NaN)] }, "a NaN other than the canonical one", "NonCanonicalNaNMetric");
        yield return Case(new RawCommit { Metrics = [("a", MetricValues.CanonicalNaN)] }, "not finite in a version-1 commit", "NaNMetricInVersion1");
        yield return Case(new RawCommit { Metrics = [("a", double.PositiveInfinity)] }, "not finite in a version-1 commit", "InfiniteMetricInVersion1");
        yield return Case(new RawCommit { Metrics = [("", 1)] }, "metric", "EmptyMetricName");
        yield return Case(new RawCommit { Metrics = [(" ", 1)] }, "metric", "BlankMetricName");
        yield return Case(new RawCommit { MetricCount = Commit.MaxMetrics + 1UL }, "exceeds the limit", "TooManyMetrics");
        yield return Case(new RawCommit { ProvenanceFlag = 2 }, "bad provenance flag", "ProvenanceFlagTwo");
        yield return Case(new RawCommit { ProvenanceFlag = 1, Dirty = 2 }, "bad dirty flag", "DirtyFlagTwo");
        yield return Case(new RawCommit { ProvenanceFlag = 0, Trailing = [0, 0, 0] }, "trailing bytes", "ProvenanceFieldsWithoutFlag");
    }

    private static TestCaseData Case(RawCommit raw, string reason, string name) =>
        new TestCaseData(raw.Encode(), reason).SetName($"Decode_{name}_IsCorrupt");

    [TestCaseSource(nameof(MalformedCommits))]
    public void Decode_Malformed_IsCorruptWithAReason(byte[] encoded, string reason)
    {
        var failure = DecodeFailure(encoded);
        failure.Should().NotBeNull();
        failure!.Message.Should().StartWith("Malformed commit").And.Contain(reason);
    }

    [Test]
    public void RawCommit_WithDefaults_IsAValidCommit()
    {
        // Guards the malformed cases above: each differs from a valid encoding in the one field it names.
        var encoded = new RawCommit().Encode();
        var commit = Commit.Decode(encoded, ObjectId.Compute(encoded));
        Recreate(commit).Encoded.Should().Equal(encoded);
        var withProvenance = new RawCommit { ProvenanceFlag = 1 }.Encode();
        Commit.Decode(withProvenance, ObjectId.Compute(withProvenance)).Provenance.Should().NotBeNull();
    }

    internal static Commit Recreate(Commit c) => Commit.Create(c.TreeId, c.Parents, c.Author, c.Time, c.Message, c.Metrics, c.Provenance);

    internal static CorruptObjectException? DecodeFailure(byte[] encoded)
    {
        try
        {
            Commit.Decode(encoded, ObjectId.Compute(encoded));
            return null;
        }
        catch (CorruptObjectException e)
        {
            return e;
        }
    }

    /// <summary>A commit's fields written one by one without validation.</summary>
    private sealed class RawCommit
    {
        public byte[] Magic { get; init; } = "LCMT"u8.ToArray();
        public byte Version { get; init; } = 1;
        public ulong? ParentCount { get; init; }
        public byte[] AuthorBytes { get; init; } = "a"u8.ToArray();
        public long Millis { get; init; } = 1_700_000_000_000;
        public byte[] MessageBytes { get; init; } = "m"u8.ToArray();
        public (string Name, double Value)[] Metrics { get; init; } = [("acc", 0.5), ("loss", 0.25)];
        public ulong? MetricCount { get; init; }
        public byte ProvenanceFlag { get; init; }
        public byte Dirty { get; init; }
        public string[] DirtyFiles { get; init; } = [];
        public (string Name, byte Kind, object Value)[] Params { get; init; } = [];
        public byte[] Trailing { get; init; } = [];

        public byte[] Encode()
        {
            var w = new CanonicalWriter();
            w.WriteMagic(Magic, Version);
            w.WriteId(TreeId);
            ObjectId[] parents = [ObjectId.Compute("p"u8)];
            w.WriteVarUInt(ParentCount ?? (ulong)parents.Length);
            foreach (var p in parents)
            {
                w.WriteId(p);
            }

            RawTree.WriteBytes(w, AuthorBytes);
            w.WriteInt64(Millis);
            RawTree.WriteBytes(w, MessageBytes);
            w.WriteVarUInt(MetricCount ?? (ulong)Metrics.Length);
            foreach (var (name, value) in Metrics)
            {
                w.WriteString(name);
                w.WriteDouble(value);
            }

            w.WriteByte(ProvenanceFlag);
            if (ProvenanceFlag == 1)
            {
                w.WriteString("0123456789abcdef0123456789abcdef01234567");
                w.WriteString("main");
                w.WriteByte(Dirty);
                w.WriteString("");
                if (Version == 2)
                {
                    w.WriteVarUInt((ulong)DirtyFiles.Length);
                    foreach (var path in DirtyFiles)
                    {
                        w.WriteString(path);
                    }
                }
            }

            if (Version == 2)
            {
                w.WriteVarUInt((ulong)Params.Length);
                foreach (var (name, kind, value) in Params)
                {
                    w.WriteString(name);
                    w.WriteByte(kind);
                    if (value is string text)
                    {
                        w.WriteString(text);
                    }
                    else
                    {
                        w.WriteDouble((double)value);
                    }
                }
            }

            foreach (var b in Trailing)
            {
                w.WriteByte(b);
            }

            return w.ToArray();
        }
    }
}
