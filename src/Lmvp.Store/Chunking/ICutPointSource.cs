namespace Lmvp.Store.Chunking;

/// <summary>Offsets in a file where a format reader prefers a chunk to start (the start of each tensor).</summary>
/// <remarks>The chunker cuts exactly at every preferred offset, so an unchanged tensor keeps its chunks
/// whatever changed before it; between preferred offsets it cuts by content as usual.</remarks>
internal interface ICutPointSource
{
    /// <summary>The smallest preferred cut offset strictly greater than <paramref name="offset"/>, or <see cref="long.MaxValue"/>.</summary>
    long NextCutAfter(long offset);
}
