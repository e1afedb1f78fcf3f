using System.Globalization;
using Lmvp.Store;
using Lmvp.Store.Formats;

namespace Lmvp.Cli.Commands;

/// <summary>How <c>show --tensors</c> and <c>diff --tensors</c> print tensors, and their JSON.</summary>
internal static class TensorTables
{
    /// <summary>"model.pt: pytorch, 148 tensors, 7,342,080 parameters in 28.0 MiB", then one line per tensor.</summary>
    public static void WriteTable(TextWriter output, string path, TensorLayout? layout)
    {
        if (layout is null)
        {
            output.WriteLine($"{path}: not a model file lmvp reads (safetensors, torch.save, ONNX, GGUF)");
            return;
        }

        output.WriteLine($"{path}: {layout.Format}, {Count(layout.Tensors.Count, "tensor")}, {N(layout.Parameters)} parameters in {Format.Bytes(layout.TensorBytes)}");
        if (layout.Tensors.Count == 0)
        {
            return;
        }

        var nameWidth = Math.Max(4, layout.Tensors.Max(t => t.Name.Length));
        var typeWidth = Math.Max(5, layout.Tensors.Max(t => t.DType.Length));
        var shapeWidth = Math.Max(5, layout.Tensors.Max(t => t.ShapeText.Length));
        var countWidth = Math.Max(10, layout.Tensors.Max(t => N(t.Parameters).Length));
        output.WriteLine($"  {"name".PadRight(nameWidth)}  {"dtype".PadRight(typeWidth)}  {"shape".PadRight(shapeWidth)}  {"parameters".PadLeft(countWidth)}  bytes");
        foreach (var t in layout.Tensors)
        {
            output.WriteLine($"  {t.Name.PadRight(nameWidth)}  {t.DType.PadRight(typeWidth)}  {t.ShapeText.PadRight(shapeWidth)}  {N(t.Parameters).PadLeft(countWidth)}  {Format.Bytes(t.Length)}");
        }
    }

    /// <summary>A summary line per model file, then the tensors that were added, removed or changed.</summary>
    public static void WriteDiff(TextWriter output, FileTensorDiff file)
    {
        var format = file.OldFormat == file.NewFormat || file.OldFormat is null ? file.NewFormat : file.NewFormat is null ? file.OldFormat : $"{file.OldFormat} -> {file.NewFormat}";
        output.WriteLine($"tensors   {file.Path} ({format}): {file.Count(TensorChange.Changed)} changed, {file.Count(TensorChange.Unchanged)} unchanged, "
            + $"{file.Count(TensorChange.Added)} added, {file.Count(TensorChange.Removed)} removed; {Format.Bytes(file.BytesDiffering)} differ");
        var listed = file.Tensors.Where(t => t.Change != TensorChange.Unchanged).ToList();
        if (listed.Count == 0)
        {
            return;
        }

        var nameWidth = listed.Max(t => t.Name.Length);
        var typeWidth = listed.Max(t => Type(t).Length);
        var shapeWidth = listed.Max(t => Shape(t).Length);
        foreach (var t in listed)
        {
            var bytes = t.Change switch
            {
                TensorChange.Removed => Format.Bytes(t.Old!.Length),
                _ => $"{Format.Bytes(t.BytesDiffering)} differ",
            };
            output.WriteLine($"  {t.Change.ToString().ToLowerInvariant(),-8}  {t.Name.PadRight(nameWidth)}  {Type(t).PadRight(typeWidth)}  {Shape(t).PadRight(shapeWidth)}  {bytes}");
        }
    }

    public static TensorJson ToJson(TensorInfo t) => new(t.Name, t.DType, t.Shape, t.Parameters, t.Offset, t.Length);

    public static FileLayoutJson ToJson(string path, TreeEntry entry, TensorLayout? layout, bool withTensors) => new(
        path,
        entry.Id.ToString(),
        entry.Size,
        layout?.Format,
        layout?.Tensors.Count,
        layout?.Parameters,
        layout?.TensorBytes,
        withTensors ? layout?.Tensors.Select(ToJson) : null);

    public static FileTensorDiffJson ToJson(FileTensorDiff file) => new(
        file.Path,
        file.OldFormat,
        file.NewFormat,
        new TensorDiffSummaryJson(
            file.Count(TensorChange.Added),
            file.Count(TensorChange.Removed),
            file.Count(TensorChange.Changed),
            file.Count(TensorChange.Unchanged),
            file.BytesDiffering),
        file.Tensors.Select(t => new TensorChangeJson(
            t.Name,
            t.Change.ToString().ToLowerInvariant(),
            (t.New ?? t.Old)!.DType,
            (t.New ?? t.Old)!.Shape,
            t.Old?.DType,
            t.Old?.Shape,
            (t.New ?? t.Old)!.Length,
            t.BytesDiffering)));

    private static string Type(TensorDiff t) => t.Old is { } o && t.New is { } n && o.DType != n.DType ? $"{o.DType} -> {n.DType}" : (t.New ?? t.Old)!.DType;

    private static string Shape(TensorDiff t) =>
        t.Old is { } o && t.New is { } n && !o.Shape.SequenceEqual(n.Shape) ? $"{o.ShapeText} -> {n.ShapeText}" : (t.New ?? t.Old)!.ShapeText;

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Count(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";
}

/// <summary>One tensor of a file's layout in <c>--json</c>.</summary>
internal sealed record TensorJson(string Name, string Dtype, IReadOnlyList<long> Shape, long Parameters, long Offset, long Length);

/// <summary>A file's tensor layout in <c>lmvp show --tensors --json</c> (nulls for a file without one).</summary>
internal sealed record FileLayoutJson(
    string Path, string Id, long Size, string? Format, int? TensorCount, long? Parameters, long? TensorBytes, IEnumerable<TensorJson>? Tensors);

/// <summary>One file of <c>lmvp diff --tensors --json</c>.</summary>
internal sealed record FileTensorDiffJson(string Path, string? OldFormat, string? NewFormat, TensorDiffSummaryJson Summary, IEnumerable<TensorChangeJson> Tensors);

/// <summary>The tensor counts of one file in <c>lmvp diff --tensors --json</c>.</summary>
internal sealed record TensorDiffSummaryJson(int Added, int Removed, int Changed, int Unchanged, long BytesDiffering);

/// <summary>One tensor of <c>lmvp diff --tensors --json</c>.</summary>
internal sealed record TensorChangeJson(
    string Name, string Change, string Dtype, IReadOnlyList<long> Shape, string? OldDtype, IReadOnlyList<long>? OldShape, long Bytes, long BytesDiffering);
