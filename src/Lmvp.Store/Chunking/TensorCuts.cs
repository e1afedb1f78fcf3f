using Lmvp.Store.Codecs;
using Lmvp.Store.Formats;

namespace Lmvp.Store.Chunking;

/// <summary>The cut points of a model file: at every data region's start and end and every header end; inside a region, fixed
/// pieces aligned at its start (or content-defined cuts, for measuring one against the other).</summary>
/// <remarks>
/// Fixed pieces, because a tensor never grows or shifts inside itself: an unchanged tensor dedups as well as with content-defined
/// chunking, piece k lines up with piece k of the previous version (room for a delta against it), no gear hash is computed over
/// tensor bytes, and every piece starts at a value boundary, so its byte planes are the value's bytes.
/// </remarks>
internal sealed class TensorCuts : ICutPointSource
{
    /// <summary>The piece size inside tensors: the chunker's average, so chunk counts stay what they were.</summary>
    public const int DefaultPieceSize = 64 * 1024;

    private readonly DataRegion[] _regions;
    private readonly long[] _regionStarts;
    private readonly long[] _boundaries;
    private readonly int _pieceSize;

    /// <param name="layout">The file's layout.</param>
    /// <param name="pieceSize">Bytes per piece inside a region (at most the chunker's maximum), or 0 for content-defined cuts there.</param>
    public TensorCuts(TensorLayout layout, int pieceSize = DefaultPieceSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pieceSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pieceSize, ChunkerParameters.Default.MaxSize);
        _regions = [.. layout.Regions];
        _regionStarts = [.. _regions.Select(r => r.Offset)];
        _boundaries = [.. _regions.SelectMany(r => new[] { r.Offset, r.End }).Concat(layout.HeaderEnds).Where(b => b > 0).Distinct().Order()];
        _pieceSize = pieceSize;
    }

    public CutPoint NextCut(long offset)
    {
        if (RegionAt(offset) is { } region && _pieceSize > 0)
        {
            var piece = region.Offset + (((offset - region.Offset) / _pieceSize) + 1) * _pieceSize;
            return new CutPoint(Math.Min(piece, region.End), Fixed: true);
        }

        var i = Array.BinarySearch(_boundaries, offset);
        i = i >= 0 ? i + 1 : ~i;
        return i < _boundaries.Length ? new CutPoint(_boundaries[i], Fixed: false) : CutPoint.None;
    }

    public ElementKind KindAt(long offset) => RegionAt(offset)?.Kind ?? ElementKind.Opaque;

    private DataRegion? RegionAt(long offset)
    {
        var i = Array.BinarySearch(_regionStarts, offset);
        i = i >= 0 ? i : ~i - 1;
        return i >= 0 && offset < _regions[i].End ? _regions[i] : null;
    }
}
