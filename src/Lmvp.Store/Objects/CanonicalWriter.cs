using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Lmvp.Store.Objects;

/// <summary>Writes the one canonical byte encoding of metadata objects: fixed little-endian integers, LEB128
/// counts, and length-prefixed UTF-8 strings.</summary>
internal sealed class CanonicalWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    public void WriteMagic(ReadOnlySpan<byte> magic, byte version)
    {
        _buffer.Write(magic);
        WriteByte(version);
    }

    public void WriteByte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    public void WriteVarUInt(ulong value)
    {
        var span = _buffer.GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        _buffer.Advance(i);
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    public void WriteInt64(long value) => WriteUInt64((ulong)value);

    public void WriteDouble(double value) => WriteUInt64(BitConverter.DoubleToUInt64Bits(value));

    public void WriteId(ObjectId id)
    {
        id.CopyTo(_buffer.GetSpan(ObjectId.Size));
        _buffer.Advance(ObjectId.Size);
    }

    public void WriteString(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        WriteVarUInt((ulong)count);
        Encoding.UTF8.GetBytes(value, _buffer.GetSpan(count));
        _buffer.Advance(count);
    }

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
}
