using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace Lmvp.Server.Web.Html;

/// <summary>Markup that is already safe to emit: our own templates' output or the model-card sanitizer's.</summary>
/// <remarks>Only code in this assembly creates one, never from a user's string without encoding or sanitizing it.</remarks>
internal readonly record struct Markup(string Value)
{
    public static Markup Empty => new("");

    public override string ToString() => Value;
}

/// <summary>Builds an HTML page in which every interpolated value is encoded unless it is <see cref="Markup"/>.</summary>
/// <remarks>
/// Pages write <c>html.Add($"&lt;td&gt;{commit.Message}&lt;/td&gt;")</c>: the literal parts come from our source code and
/// are copied as they are; every hole is HTML-encoded (text and quoted attribute values alike), so a commit message, a
/// file name or a metric name can never become markup. This is the one way pages produce HTML.
/// </remarks>
internal sealed class HtmlWriter
{
    // Leave every Unicode letter readable; encode only what HTML needs (<, >, &, quotes) and what is invisible or unsafe.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    private readonly StringBuilder _builder;

    public HtmlWriter(int capacity = 16 * 1024) => _builder = new StringBuilder(capacity);

    /// <summary>Appends an interpolated fragment: literals as written, holes encoded.</summary>
    public void Add([InterpolatedStringHandlerArgument("")] ref HtmlHandler fragment)
    {
        // The handler has already written everything into this writer.
        _ = fragment;
    }

    /// <summary>Appends markup that is already safe.</summary>
    public void Add(Markup markup) => _builder.Append(markup.Value);

    /// <summary>Encodes a string for use in HTML text or a quoted attribute.</summary>
    public static string Encode(string text) => Encoder.Encode(text);

    public Markup ToMarkup() => new(_builder.ToString());

    /// <summary>The text written so far, in pieces, for writing out without copying it into one string.</summary>
    internal IEnumerable<ReadOnlyMemory<char>> Chunks
    {
        get
        {
            foreach (var chunk in _builder.GetChunks())
            {
                yield return chunk;
            }
        }
    }

    public override string ToString() => _builder.ToString();

    internal void AppendTrusted(string? literal) => _builder.Append(literal);

    internal void AppendEncoded(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return;
        }

        // Encode returns the same instance when nothing needs escaping, which is the common case for names and ids.
        _builder.Append(Encoder.Encode(text));
    }

    internal void AppendEncoded(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c is '<' or '>' or '&' or '"' or '\'' || c > 0x7E || c < 0x20)
            {
                AppendEncoded(text.ToString());
                return;
            }
        }

        _builder.Append(text);
    }
}

/// <summary>The interpolated-string handler behind <see cref="HtmlWriter.Add(ref HtmlHandler)"/>.</summary>
[InterpolatedStringHandler]
internal readonly ref struct HtmlHandler
{
    private readonly HtmlWriter _writer;

    public HtmlHandler(int literalLength, int formattedCount, HtmlWriter writer)
    {
        _ = literalLength;
        _ = formattedCount;
        _writer = writer;
    }

    public void AppendLiteral(string literal) => _writer.AppendTrusted(literal);

    public void AppendFormatted(string? text) => _writer.AppendEncoded(text);

    public void AppendFormatted(Markup markup) => _writer.AppendTrusted(markup.Value);

    public void AppendFormatted<T>(T value, string? format = null)
        where T : ISpanFormattable
    {
        Span<char> buffer = stackalloc char[64];
        if (value.TryFormat(buffer, out var written, format, CultureInfo.InvariantCulture))
        {
            _writer.AppendEncoded(buffer[..written]);
        }
        else
        {
            _writer.AppendEncoded(value.ToString(format, CultureInfo.InvariantCulture));
        }
    }
}
