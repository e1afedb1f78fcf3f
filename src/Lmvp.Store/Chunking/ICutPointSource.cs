using Lmvp.Store.Codecs;

namespace Lmvp.Store.Chunking;

/// <summary>The next place a chunk must end, as a format reader wants it.</summary>
/// <param name="Offset">The offset of the cut (long.MaxValue: none).</param>
/// <param name="Fixed">True when the bytes up to the cut are one piece (inside a tensor), false when content-defined chunking
/// may cut earlier (headers, plain bytes).</param>
internal readonly record struct CutPoint(long Offset, bool Fixed)
{
    public static CutPoint None => new(long.MaxValue, false);
}

/// <summary>Where a format reader wants chunks to end (every tensor start and end, every header end) and what each holds.</summary>
/// <remarks>The chunker cuts exactly at every preferred offset, so an unchanged tensor keeps its chunks whatever changed before
/// it; between preferred offsets it cuts by content as usual, or in fixed pieces when the source says so.</remarks>
internal interface ICutPointSource
{
    /// <summary>The first preferred cut strictly after <paramref name="offset"/>, the start of a chunk.</summary>
    CutPoint NextCut(long offset);

    /// <summary>What the chunk starting at <paramref name="offset"/> holds.</summary>
    ElementKind KindAt(long offset);
}
