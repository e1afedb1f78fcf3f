using Lmvp.Store.Codecs;

namespace Lmvp.Store.Formats;

/// <summary>An element type: its name in torch's spelling, its size, and how its bytes compress.</summary>
internal readonly record struct DType(string Name, int Size, ElementKind Kind)
{
    public static readonly DType Float64 = new("float64", 8, ElementKind.Opaque);
    public static readonly DType Float32 = new("float32", 4, ElementKind.Float32);
    public static readonly DType Float16 = new("float16", 2, ElementKind.Float16);
    public static readonly DType BFloat16 = new("bfloat16", 2, ElementKind.BFloat16);
    public static readonly DType Int64 = new("int64", 8, ElementKind.Opaque);
    public static readonly DType Int32 = new("int32", 4, ElementKind.Opaque);
    public static readonly DType Int16 = new("int16", 2, ElementKind.Opaque);
    public static readonly DType Int8 = new("int8", 1, ElementKind.Opaque);
    public static readonly DType UInt64 = new("uint64", 8, ElementKind.Opaque);
    public static readonly DType UInt32 = new("uint32", 4, ElementKind.Opaque);
    public static readonly DType UInt16 = new("uint16", 2, ElementKind.Opaque);
    public static readonly DType UInt8 = new("uint8", 1, ElementKind.Opaque);
    public static readonly DType Bool = new("bool", 1, ElementKind.Opaque);
    public static readonly DType Complex64 = new("complex64", 8, ElementKind.Opaque);
    public static readonly DType Complex128 = new("complex128", 16, ElementKind.Opaque);
    public static readonly DType Float8E4M3 = new("float8_e4m3fn", 1, ElementKind.Opaque);
    public static readonly DType Float8E5M2 = new("float8_e5m2", 1, ElementKind.Opaque);

    /// <summary>A safetensors dtype string (<c>F32</c>, <c>BF16</c>, ...).</summary>
    public static DType? FromSafetensors(string name) => name switch
    {
        "F64" => Float64,
        "F32" => Float32,
        "F16" => Float16,
        "BF16" => BFloat16,
        "I64" => Int64,
        "I32" => Int32,
        "I16" => Int16,
        "I8" => Int8,
        "U64" => UInt64,
        "U32" => UInt32,
        "U16" => UInt16,
        "U8" => UInt8,
        "BOOL" => Bool,
        "C64" => Complex64,
        "F8_E4M3" => Float8E4M3,
        "F8_E5M2" => Float8E5M2,
        _ => null,
    };

    /// <summary>A torch storage class name (<c>FloatStorage</c>, <c>BFloat16Storage</c>, ...).</summary>
    public static DType? FromTorchStorage(string name) => name switch
    {
        "DoubleStorage" => Float64,
        "FloatStorage" => Float32,
        "HalfStorage" => Float16,
        "BFloat16Storage" => BFloat16,
        "LongStorage" => Int64,
        "IntStorage" => Int32,
        "ShortStorage" => Int16,
        "CharStorage" => Int8,
        "ByteStorage" => UInt8,
        "BoolStorage" => Bool,
        "ComplexFloatStorage" => Complex64,
        "ComplexDoubleStorage" => Complex128,
        _ => null,
    };

    /// <summary>An ONNX TensorProto.DataType number.</summary>
    public static DType? FromOnnx(long type) => type switch
    {
        1 => Float32,
        2 => UInt8,
        3 => Int8,
        4 => UInt16,
        5 => Int16,
        6 => Int32,
        7 => Int64,
        9 => Bool,
        10 => Float16,
        11 => Float64,
        12 => UInt32,
        13 => UInt64,
        14 => Complex64,
        15 => Complex128,
        16 => BFloat16,
        17 => Float8E4M3,
        19 => Float8E5M2,
        _ => null,
    };
}
