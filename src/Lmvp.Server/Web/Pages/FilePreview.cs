using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lmvp.Server.Web.Data;
using Lmvp.Server.Web.Html;
using Lmvp.Store;

namespace Lmvp.Server.Web.Pages;

/// <summary>The parts of a file's page that help use it: ready-to-copy download commands, and a preview of text, JSON and Markdown.</summary>
/// <remarks>Previews are capped: at most <see cref="MaxTextBytes"/> of a text file are read (verified chunk by chunk, as any read
/// is), JSON is pretty-printed when the whole file fits, and Markdown is rendered through the same sanitizer as the model card.
/// Model and other binary files get no preview (their tensors are another view's business).</remarks>
internal static class FilePreview
{
    /// <summary>The most bytes of a text file shown.</summary>
    public const int MaxTextBytes = 64 * 1024;

    /// <summary>A JSON file up to this size is parsed and pretty-printed; a bigger one is shown as text.</summary>
    public const int MaxJsonBytes = 256 * 1024;

    private static readonly string[] BinaryExtensions =
        [".bin", ".pt", ".pth", ".ckpt", ".safetensors", ".onnx", ".gguf", ".ggml", ".pkl", ".pickle", ".npy", ".npz", ".h5", ".hdf5", ".tflite",
            ".pb", ".zip", ".gz", ".tar", ".zst", ".xz", ".7z", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".parquet", ".arrow", ".so", ".exe"];

    private static readonly string[] MarkdownExtensions = [".md", ".markdown"];

    /// <summary>The file's URL, a curl command and a Python call, each with a Copy button.</summary>
    public static void DownloadSnippets(HtmlWriter html, RepositoryView repo, string revision, string path)
    {
        ArgumentNullException.ThrowIfNull(html);
        ArgumentNullException.ThrowIfNull(repo);
        var url = repo.Web.BaseUrl + Urls.Raw(repo.Owner, repo.Name, revision, path);
        var fileName = path[(path.LastIndexOf('/') + 1)..];
        var auth = repo.Record.IsPrivate ? "-H \"Authorization: Bearer $LMVP_TOKEN\" " : "";
        var curl = $"curl -fL {auth}-o {ShellQuote(fileName)} {ShellQuote(url)}";
        var python = $"import lmvp\npath = lmvp.download({PythonString(repo.Web.BaseUrl + "/" + repo.Owner + "/" + repo.Name)}, {PythonString(path)}, revision={PythonString(revision)})";
        html.Add($"<div class=\"snippets\" id=\"download-snippets\"><h4>Download URL</h4>");
        Fragments.CopyBox(html, "download-url", url);
        html.Add($"<h4>curl</h4>");
        Fragments.CopyBox(html, "curl-snippet", curl);
        html.Add($"<h4>Python <span class=\"muted small\">(the lmvp package; verified and cached)</span></h4>");
        Fragments.CopyBox(html, "python-snippet", python, multiline: true);
        html.Add($"</div>");
    }

    /// <summary>A preview section for a text, JSON or Markdown file; nothing for a binary one.</summary>
    public static async Task WriteAsync(HtmlWriter html, RepositoryView repo, string revision, TreeEntry entry, string path)
    {
        ArgumentNullException.ThrowIfNull(html);
        ArgumentNullException.ThrowIfNull(repo);
        ArgumentNullException.ThrowIfNull(entry);
        var extension = Path.GetExtension(entry.Name).ToLowerInvariant();
        if (entry.Size == 0 || BinaryExtensions.Contains(extension))
        {
            return;
        }

        var markdown = MarkdownExtensions.Contains(extension) && entry.Size <= ModelCard.MaxBytes;
        var json = extension is ".json" && entry.Size <= MaxJsonBytes;
        var limit = markdown || json ? (int)entry.Size : (int)Math.Min(entry.Size, MaxTextBytes);
        var bytes = await ReadPrefixAsync(repo, entry.Id, limit);
        if (Decode(bytes, complete: bytes.Length == entry.Size) is not { } text)
        {
            return; // not text after all
        }

        var shown = bytes.Length < entry.Size ? $"first {Format.Bytes(bytes.Length)} of {Format.Bytes(entry.Size)}" : Format.Bytes(entry.Size);
        html.Add($"<section class=\"card flush preview\" id=\"preview\"><div class=\"cardhead row spread\"><h3>Preview</h3><span class=\"muted small\">{shown}</span></div>");
        if (markdown)
        {
            var directory = path.Contains('/', StringComparison.Ordinal) ? path[..path.LastIndexOf('/')] + "/" : "";
            var rendered = repo.Web.Service<ModelCard>().Render(text, link => RepositoryPages.ResolveRelative(directory + link) is { } target
                ? Urls.Raw(repo.Owner, repo.Name, revision, target)
                : null);
            html.Add($"<div class=\"markdown pad\" data-preview=\"markdown\">{rendered}</div></section>");
            return;
        }

        if (json && TryIndent(text) is { } indented)
        {
            html.Add($"<pre class=\"code\" data-preview=\"json\">{indented}</pre></section>");
            return;
        }

        html.Add($"<pre class=\"code\" data-preview=\"text\">{text}</pre></section>");
    }

    private static async Task<byte[]> ReadPrefixAsync(RepositoryView repo, ObjectId fileId, int limit)
    {
        var buffer = new byte[limit];
        await using var stream = await repo.OpenFileAsync(fileId);
        var read = 0;
        while (read < limit)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), repo.Web.Aborted);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return read == limit ? buffer : buffer[..read];
    }

    /// <summary>The bytes as UTF-8 text, or null when they are not text (a NUL, or invalid UTF-8 before a cut at the end).</summary>
    internal static string? Decode(byte[] bytes, bool complete)
    {
        if (bytes.AsSpan().IndexOf((byte)0) >= 0)
        {
            return null;
        }

        // A prefix may end inside a character: drop at most the 3 bytes of an unfinished one.
        var span = bytes.AsSpan();
        for (var cut = 0; cut <= (complete ? 0 : 3) && cut <= span.Length; cut++)
        {
            try
            {
                return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(span[..^cut]);
            }
            catch (DecoderFallbackException)
            {
            }
        }

        return null;
    }

    private static string? TryIndent(string text)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true, MaxDepth = 64 })
                ?.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string ShellQuote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>A Python string literal (JSON's escapes are Python's too).</summary>
    private static string PythonString(string text) => JsonSerializer.Serialize(text, Lmvp.Server.Api.ContentJsonContext.Default.String);
}
