using Lmvp.Store.Objects;

namespace Lmvp.Store.Tests.Objects;

public class CanonicalReaderTests
{
    [TestCase(0UL)]
    [TestCase(1UL)]
    [TestCase(127UL)]
    [TestCase(128UL)]
    [TestCase(16_383UL)]
    [TestCase(16_384UL)]
    [TestCase(uint.MaxValue)]
    [TestCase(1UL << 63)]
    [TestCase((1UL << 63) - 1)]
    [TestCase(ulong.MaxValue)]
    public void VarUInt_RoundTrips(ulong value)
    {
        var writer = new CanonicalWriter();
        writer.WriteVarUInt(value);
        var bytes = writer.ToArray();
        ReadVarUInt(bytes).Should().Be(value);
        bytes.Length.Should().Be(value == 0 ? 1 : (int)((64 - ulong.LeadingZeroCount(value) + 6) / 7));
    }

    [TestCase(new byte[] { 0x80, 0x00 }, "non-canonical")] // 0 in two bytes
    [TestCase(new byte[] { 0x81, 0x00 }, "non-canonical")] // 1 in two bytes
    [TestCase(new byte[] { 0xFF, 0x80, 0x00 }, "non-canonical")]
    [TestCase(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02 }, "integer")] // bit 64: overflows
    [TestCase(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F }, "integer")]
    [TestCase(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02 }, "integer")] // wraps to 0
    [TestCase(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x81, 0x00 }, "integer")] // eleven bytes
    [TestCase(new byte[] { 0x80 }, "truncated")]
    [TestCase(new byte[] { }, "truncated")]
    public void VarUInt_RejectsNonCanonicalOverlongAndTruncated(byte[] bytes, string reason)
    {
        var read = () => ReadVarUInt(bytes);
        read.Should().Throw<CorruptObjectException>().WithMessage($"*{reason}*");
    }

    [TestCase(new byte[] { 0x01, 0xFF })]
    [TestCase(new byte[] { 0x02, 0xC3, 0x28 })]
    [TestCase(new byte[] { 0x02, 0xC0, 0x80 })] // overlong NUL
    [TestCase(new byte[] { 0x03, 0xED, 0xA0, 0x80 })] // a UTF-16 surrogate
    [TestCase(new byte[] { 0x04, 0xF4, 0x90, 0x80, 0x80 })] // above U+10FFFF
    [TestCase(new byte[] { 0x02, 0xE2, 0x82 })] // cut mid-character
    public void String_RejectsInvalidUtf8(byte[] bytes)
    {
        var read = () => ReadString(bytes, 100);
        read.Should().Throw<CorruptObjectException>().WithMessage("*invalid UTF-8*");
    }

    [Test]
    public void String_RoundTripsUnicode_AndRespectsItsLimit()
    {
        var writer = new CanonicalWriter();
        writer.WriteString("a b ü 模型 🎉");
        var bytes = writer.ToArray();
        ReadString(bytes, 100).Should().Be("a b ü 模型 🎉");
        var tooLong = () => ReadString(bytes, bytes.Length - 2);
        tooLong.Should().Throw<CorruptObjectException>().WithMessage("*exceeds the limit*");
        var truncated = () => ReadString(bytes[..^1], 100);
        truncated.Should().Throw<CorruptObjectException>().WithMessage("*truncated*");
    }

    [Test]
    public void FixedWidthIntegers_AreLittleEndian()
    {
        var writer = new CanonicalWriter();
        writer.WriteUInt32(0x01020304);
        writer.WriteUInt64(0x0102030405060708);
        writer.WriteDouble(1.5);
        writer.ToArray().Should().Equal(4, 3, 2, 1, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F);
    }

    private static ulong ReadVarUInt(byte[] bytes)
    {
        var reader = new CanonicalReader(bytes, "test value");
        var value = reader.ReadVarUInt();
        reader.ExpectEnd();
        return value;
    }

    private static string ReadString(byte[] bytes, int max)
    {
        var reader = new CanonicalReader(bytes, "test value");
        var value = reader.ReadString(max);
        reader.ExpectEnd();
        return value;
    }
}
