using Lmvp.Store.Codecs;
using Lmvp.Store.Objects;

namespace Lmvp.Store.Formats;

/// <summary>Collects what a reader finds and checks it as a whole: every tensor and region inside the file, regions
/// disjoint, bounded counts. Anything wrong is a <see cref="LayoutException"/>, so a hostile header falls back to plain chunking.</summary>
internal sealed class LayoutBuilder(string format, long fileLength)
{
    /// <summary>The most tensors one file may describe (the largest models have a few thousand; optimizer state triples that),
    /// which also bounds a layout's memory.</summary>
    public const int MaxTensors = 200_000;

    /// <summary>The longest tensor name kept (longer ones are shortened).</summary>
    private const int MaxNameLength = 1024;

    private readonly List<TensorInfo> _tensors = [];
    private readonly List<DataRegion> _regions = [];
    private readonly List<long> _headerEnds = [];

    public int TensorCount => _tensors.Count;

    public void AddTensor(string name, string dtype, IReadOnlyList<long> shape, long offset, long length)
    {
        if (_tensors.Count >= MaxTensors)
        {
            throw new LayoutException($"more than {MaxTensors} tensors.");
        }

        CheckRange(offset, length, name);
        var printable = CanonicalReader.Printable(name);
        _tensors.Add(new TensorInfo(printable.Length > MaxNameLength ? printable[..MaxNameLength] + "..." : printable, dtype, shape, offset, length));
    }

    public void AddRegion(long offset, long length, ElementKind kind)
    {
        if (_regions.Count >= MaxTensors)
        {
            throw new LayoutException($"more than {MaxTensors} data regions.");
        }

        CheckRange(offset, length, "a data region");
        if (length > 0)
        {
            _regions.Add(new DataRegion(offset, length, kind));
        }
    }

    public void AddHeaderEnd(long offset)
    {
        CheckRange(offset, 0, "a header");
        _headerEnds.Add(offset);
    }

    public TensorLayout Build()
    {
        _regions.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        for (var i = 1; i < _regions.Count; i++)
        {
            if (_regions[i].Offset < _regions[i - 1].End)
            {
                throw new LayoutException($"two data regions overlap at offset {_regions[i].Offset}.");
            }
        }

        _tensors.Sort((a, b) => a.Offset != b.Offset ? a.Offset.CompareTo(b.Offset) : string.CompareOrdinal(a.Name, b.Name));
        _headerEnds.Sort();
        return new TensorLayout(format, _tensors, _regions, _headerEnds.Distinct().ToList());
    }

    private void CheckRange(long offset, long length, string what)
    {
        if (offset < 0 || length < 0 || offset > fileLength || length > fileLength - offset)
        {
            throw new LayoutException($"{CanonicalReader.Printable(what)} lies outside the file ({offset} + {length} > {fileLength}).");
        }
    }
}
