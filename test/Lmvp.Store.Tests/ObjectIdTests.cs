using Lmvp.Testing;

namespace Lmvp.Store.Tests;

public class ObjectIdTests
{
    [Test]
    public void ToString_ThenParse_RoundTripsEveryByte()
    {
        for (var seed = 0; seed < 50; seed++)
        {
            var bytes = TestData.Random(ObjectId.Size, seed);
            var id = new ObjectId(bytes);
            var hex = id.ToString();

            hex.Should().HaveLength(ObjectId.HexLength).And.MatchRegex("^[0-9a-f]{64}$");
            hex.Should().Be(Convert.ToHexStringLower(bytes));
            ObjectId.Parse(hex).Should().Be(id);
            ObjectId.TryParse(hex, out var parsed).Should().BeTrue();
            parsed.Should().Be(id);
            id.ToArray().Should().Equal(bytes);
        }
    }

    [Test]
    public void Parse_AcceptsUppercaseHex()
    {
        var id = ObjectId.Compute("abc"u8);
        ObjectId.Parse(id.ToString().ToUpperInvariant()).Should().Be(id);
    }

    [Test]
    public void Compute_IsBlake3OfTheBytes()
    {
        // The BLAKE3 reference vector for the empty input.
        ObjectId.Compute([]).ToString().Should().Be("af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
        ObjectId.Compute("hello"u8).Should().Be(new ObjectId(Blake3.Hasher.Hash("hello"u8).AsSpan()));
    }

    [Test]
    public void ToShortString_IsThePrefixOfTheFullForm()
    {
        var id = ObjectId.Compute("short"u8);
        id.ToShortString().Should().HaveLength(ObjectId.ShortHexLength);
        id.ToString().Should().StartWith(id.ToShortString());
        id.StartsWith(id.ToShortString()).Should().BeTrue();
        id.StartsWith(id.ToShortString().ToUpperInvariant()).Should().BeTrue();
        id.StartsWith(id.ToString()).Should().BeTrue();
        id.StartsWith(NotThisPrefix(id.ToShortString())).Should().BeFalse();
    }

    private static string NotThisPrefix(string prefix) => (prefix[0] == '0' ? "1" : "0") + prefix[1..];

    [TestCase("")]
    [TestCase("0")]
    [TestCase("af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f326")] // 63 digits
    [TestCase("af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f32620")] // 65 digits
    [TestCase("af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f326g")] // not hex
    [TestCase("af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f326 ")] // trailing space
    [TestCase(" af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f326")] // leading space
    [TestCase("0xaf1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f32")] // 0x prefix
    [TestCase("af1349b9-5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262")] // a dash
    [TestCase("af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f326\u0661")] // a non-ASCII digit
    public void TryParse_RejectsAnythingButSixtyFourHexDigits(string text)
    {
        ObjectId.TryParse(text, out var id).Should().BeFalse();
        id.Should().Be(ObjectId.Zero);
        var parse = () => ObjectId.Parse(text);
        parse.Should().Throw<FormatException>().WithMessage($"*'{text}'*");
    }

    [Test]
    public void TryParse_Null_IsFalse_AndParseNull_ThrowsArgumentNull()
    {
        ObjectId.TryParse(null, out _).Should().BeFalse();
        var parse = () => ObjectId.Parse(null!);
        parse.Should().Throw<ArgumentNullException>();
    }

    [TestCase(0)]
    [TestCase(31)]
    [TestCase(33)]
    public void Constructor_RejectsWrongLength(int length)
    {
        var create = () => new ObjectId(new byte[length]);
        create.Should().Throw<ArgumentException>().WithMessage($"*{length}*");
    }

    [Test]
    public void Ordering_FollowsTheBytes_SameAsTheHexForm()
    {
        var ids = Enumerable.Range(0, 200).Select(i => new ObjectId(TestData.Random(ObjectId.Size, 1000 + i))).ToList();
        // Ids that differ only in the last byte, or only in the first, test each word of the comparison.
        var low = new byte[ObjectId.Size];
        var high = new byte[ObjectId.Size];
        high[^1] = 1;
        ids.Add(new ObjectId(low));
        ids.Add(new ObjectId(high));
        for (var word = 0; word < 4; word++)
        {
            var b = new byte[ObjectId.Size];
            b[word * 8] = 0x80;
            ids.Add(new ObjectId(b));
        }

        var byCompare = ids.OrderBy(x => x).Select(x => x.ToString()).ToList();
        var byHex = ids.Select(x => x.ToString()).OrderBy(x => x, StringComparer.Ordinal).ToList();
        byCompare.Should().Equal(byHex);

        var a = new ObjectId(low);
        var c = new ObjectId(high);
        (a < c).Should().BeTrue();
        (a <= c).Should().BeTrue();
        (c > a).Should().BeTrue();
        (c >= a).Should().BeTrue();
        (a >= new ObjectId(low)).Should().BeTrue();
        (a == new ObjectId(low)).Should().BeTrue();
        (a != c).Should().BeTrue();
        a.CompareTo(a).Should().Be(0);
    }

    [Test]
    public void Equality_AndHashCode_AreByValue()
    {
        var bytes = TestData.Random(ObjectId.Size, 7);
        var a = new ObjectId(bytes);
        var b = new ObjectId((byte[])bytes.Clone());
        a.Equals(b).Should().BeTrue();
        a.Equals((object)b).Should().BeTrue();
        a.Equals("not an id").Should().BeFalse();
        a.GetHashCode().Should().Be(b.GetHashCode());
        new HashSet<ObjectId> { a, b }.Should().HaveCount(1);
    }

    [Test]
    public void Zero_IsTheDefault_AndOnlyZeroIsZero()
    {
        ObjectId.Zero.IsZero.Should().BeTrue();
        default(ObjectId).Should().Be(ObjectId.Zero);
        ObjectId.Zero.ToString().Should().Be(new string('0', ObjectId.HexLength));
        var lastByte = new byte[ObjectId.Size];
        lastByte[^1] = 1;
        new ObjectId(lastByte).IsZero.Should().BeFalse();
        ObjectId.Compute([]).IsZero.Should().BeFalse();
    }

    [Test]
    public void CopyTo_WritesTheRawBytes()
    {
        var bytes = TestData.Random(ObjectId.Size, 9);
        var destination = new byte[ObjectId.Size + 4];
        new ObjectId(bytes).CopyTo(destination.AsSpan(2));
        destination.AsSpan(2, ObjectId.Size).ToArray().Should().Equal(bytes);
        destination[0].Should().Be(0);
        destination[^1].Should().Be(0);
    }
}
