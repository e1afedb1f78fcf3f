namespace Lmvp.Store.Codecs;

/// <summary>What a chunk's bytes hold, as far as a format reader knows: it picks the chunk's stored encoding.</summary>
public enum ElementKind : byte
{
    /// <summary>Nothing is known: a cheap trial on a sample decides (plain zstd, byte planes or raw).</summary>
    Unknown = 0,

    /// <summary>Known not to be floats (a header, integers, quantized blocks): plain zstd when a trial pays, else raw.</summary>
    Opaque = 1,

    /// <summary>Little-endian IEEE 754 single precision values, starting at the chunk's first byte.</summary>
    Float32 = 2,

    /// <summary>Little-endian IEEE 754 half precision values, starting at the chunk's first byte.</summary>
    Float16 = 3,

    /// <summary>Little-endian bfloat16 values, starting at the chunk's first byte.</summary>
    BFloat16 = 4,
}
