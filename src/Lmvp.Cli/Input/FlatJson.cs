using System.Globalization;
using System.Text;

namespace Lmvp.Cli.Input;

/// <summary>What a flat JSON value is.</summary>
internal enum JsonScalarKind
{
    /// <summary>A number, or NaN / Infinity / -Infinity.</summary>
    Number,

    /// <summary>A string.</summary>
    String,

    /// <summary>true or false (<see cref="JsonScalar.Text"/> holds the word).</summary>
    Boolean,

    /// <summary>null (<see cref="JsonScalar.Text"/> is "null").</summary>
    Null,

    /// <summary>A list (<see cref="JsonScalar.Text"/> holds its JSON text on one line).</summary>
    List,
}

/// <summary>One value of a flattened JSON object, with where it stood.</summary>
internal readonly record struct JsonScalar(JsonScalarKind Kind, double Number, string Text, int Line, int Column);

/// <summary>A JSON problem, named by line and column (1-based).</summary>
internal sealed class JsonInputException(int line, int column, string reason) : Exception($"line {line}, column {column}: {reason}")
{
    public int Line { get; } = line;

    public int Column { get; } = column;

    public string Reason { get; } = reason;
}

/// <summary>Reads a JSON object as Python's <c>json.dump</c> writes it (NaN, Infinity and -Infinity included) into
/// name → value pairs, nested objects flattened with dots as DVC does (<c>{"optim": {"lr": 1}}</c> → <c>optim.lr</c>).</summary>
/// <remarks>A small reader of our own, so a mistake is told as "line 3, column 12: expected ',' or '}'" rather than in a
/// parser's terms, and so the non-standard literals that Python writes by default are read as numbers.</remarks>
internal ref struct FlatJson
{
    private const int MaxDepth = 32;

    private readonly ReadOnlySpan<char> _text;
    private readonly List<KeyValuePair<string, JsonScalar>> _result;
    private int _position;

    private FlatJson(ReadOnlySpan<char> text)
    {
        _text = text;
        _result = [];
        _position = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
    }

    /// <summary>The object's values in document order (a repeated name keeps its last value, as Python does).</summary>
    public static List<KeyValuePair<string, JsonScalar>> Parse(string text)
    {
        var reader = new FlatJson(text);
        reader.SkipSpace();
        if (reader.AtEnd)
        {
            throw reader.Fail("the file is empty; expected a JSON object such as {\"loss\": 0.41}");
        }

        if (reader.Peek != '{')
        {
            throw reader.Fail("expected a JSON object ('{') at the top");
        }

        reader.ReadObject("", 0);
        reader.SkipSpace();
        if (!reader.AtEnd)
        {
            throw reader.Fail("unexpected text after the object");
        }

        var last = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < reader._result.Count; i++)
        {
            last[reader._result[i].Key] = i;
        }

        return [.. reader._result.Where((kv, i) => last[kv.Key] == i)];
    }

    private readonly bool AtEnd => _position >= _text.Length;

    private readonly char Peek => _text[_position];

    private void ReadObject(string prefix, int depth)
    {
        if (depth > MaxDepth)
        {
            throw Fail($"objects nested more than {MaxDepth} deep");
        }

        Expect('{');
        SkipSpace();
        if (!AtEnd && Peek == '}')
        {
            _position++;
            return;
        }

        while (true)
        {
            SkipSpace();
            if (AtEnd || Peek != '"')
            {
                throw Fail("expected a name in double quotes");
            }

            var name = prefix + ReadString();
            SkipSpace();
            Expect(':');
            SkipSpace();
            if (AtEnd)
            {
                throw Fail($"expected a value for '{name}'");
            }

            if (Peek == '{')
            {
                ReadObject(name + ".", depth + 1);
            }
            else
            {
                _result.Add(new(name, ReadScalar(name)));
            }

            SkipSpace();
            if (AtEnd)
            {
                throw Fail("expected ',' or '}' but the file ends");
            }

            var c = Peek;
            _position++;
            if (c == '}')
            {
                return;
            }

            if (c != ',')
            {
                _position--;
                throw Fail($"expected ',' or '}}' after the value of '{name}'");
            }
        }
    }

    private JsonScalar ReadScalar(string name)
    {
        var (line, column) = Where(_position);
        var c = Peek;
        if (c == '"')
        {
            return new JsonScalar(JsonScalarKind.String, 0, ReadString(), line, column);
        }

        if (c == '[')
        {
            var start = _position;
            SkipList(0);
            var raw = _text[start.._position].ToString();
            return new JsonScalar(JsonScalarKind.List, 0, string.Join(" ", raw.Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim())), line, column);
        }

        foreach (var (word, kind, value) in Literals)
        {
            if (_text[_position..].StartsWith(word, StringComparison.Ordinal))
            {
                _position += word.Length;
                return new JsonScalar(kind, value, word, line, column);
            }
        }

        if (c == '-' || char.IsAsciiDigit(c))
        {
            return new JsonScalar(JsonScalarKind.Number, ReadNumber(), "", line, column);
        }

        throw Fail($"expected a value for '{name}' (a number, a string in double quotes, true, false, null, NaN or Infinity)");
    }

    private static readonly (string Word, JsonScalarKind Kind, double Value)[] Literals =
    [
        ("NaN", JsonScalarKind.Number, double.NaN),
        ("Infinity", JsonScalarKind.Number, double.PositiveInfinity),
        ("-Infinity", JsonScalarKind.Number, double.NegativeInfinity),
        ("true", JsonScalarKind.Boolean, 0),
        ("false", JsonScalarKind.Boolean, 0),
        ("null", JsonScalarKind.Null, 0),
    ];

    private double ReadNumber()
    {
        var start = _position;
        if (Peek == '-')
        {
            _position++;
        }

        if (AtEnd || !char.IsAsciiDigit(Peek))
        {
            throw Fail("expected a digit");
        }

        if (Peek == '0')
        {
            _position++;
        }
        else
        {
            SkipDigits();
        }

        if (!AtEnd && Peek == '.')
        {
            _position++;
            if (AtEnd || !char.IsAsciiDigit(Peek))
            {
                throw Fail("expected a digit after the decimal point");
            }

            SkipDigits();
        }

        if (!AtEnd && Peek is 'e' or 'E')
        {
            _position++;
            if (!AtEnd && Peek is '+' or '-')
            {
                _position++;
            }

            if (AtEnd || !char.IsAsciiDigit(Peek))
            {
                throw Fail("expected a digit in the exponent");
            }

            SkipDigits();
        }

        var value = double.Parse(_text[start.._position], NumberStyles.Float, CultureInfo.InvariantCulture);
        return double.IsFinite(value) ? value : throw Fail("a number too large for a 64-bit float (write Infinity if that is meant)", start);
    }

    private void SkipDigits()
    {
        while (!AtEnd && char.IsAsciiDigit(Peek))
        {
            _position++;
        }
    }

    private void SkipList(int depth)
    {
        if (depth > MaxDepth)
        {
            throw Fail($"lists nested more than {MaxDepth} deep");
        }

        Expect('[');
        while (true)
        {
            SkipSpace();
            if (AtEnd)
            {
                throw Fail("expected ']' but the file ends");
            }

            switch (Peek)
            {
                case ']':
                    _position++;
                    return;
                case '[':
                    SkipList(depth + 1);
                    break;
                case '"':
                    ReadString();
                    break;
                case '{':
                    throw Fail("an object inside a list cannot be flattened");
                case ',':
                    _position++;
                    break;
                default:
                    _ = ReadScalar("a list item");
                    break;
            }
        }
    }

    private string ReadString()
    {
        var start = _position;
        Expect('"');
        var builder = new StringBuilder();
        while (true)
        {
            if (AtEnd)
            {
                throw Fail("a string that is never closed (missing '\"')", start);
            }

            var c = _text[_position++];
            if (c == '"')
            {
                return builder.ToString();
            }

            if (c < ' ')
            {
                _position--;
                throw Fail("a control character (such as a raw line break) inside a string; write it as \\n");
            }

            if (c != '\\')
            {
                builder.Append(c);
                continue;
            }

            if (AtEnd)
            {
                throw Fail("a string that is never closed (missing '\"')", start);
            }

            var e = _text[_position++];
            switch (e)
            {
                case '"' or '\\' or '/':
                    builder.Append(e);
                    break;
                case 'b':
                    builder.Append('\b');
                    break;
                case 'f':
                    builder.Append('\f');
                    break;
                case 'n':
                    builder.Append('\n');
                    break;
                case 'r':
                    builder.Append('\r');
                    break;
                case 't':
                    builder.Append('\t');
                    break;
                case 'u' when _position + 4 <= _text.Length
                    && int.TryParse(_text.Slice(_position, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code):
                    builder.Append((char)code);
                    _position += 4;
                    break;
                default:
                    _position -= 2;
                    throw Fail($"an unknown escape '\\{e}' in a string");
            }
        }
    }

    private void Expect(char c)
    {
        if (AtEnd || Peek != c)
        {
            throw Fail(AtEnd ? $"expected '{c}' but the file ends" : $"expected '{c}'");
        }

        _position++;
    }

    private void SkipSpace()
    {
        while (!AtEnd && Peek is ' ' or '\t' or '\n' or '\r')
        {
            _position++;
        }
    }

    private readonly (int Line, int Column) Where(int position)
    {
        int line = 1, column = 1;
        for (var i = 0; i < position && i < _text.Length; i++)
        {
            if (_text[i] == '\n')
            {
                line++;
                column = 1;
            }
            else if (_text[i] != '\r')
            {
                column++;
            }
        }

        return (line, column);
    }

    private readonly JsonInputException Fail(string reason, int? at = null)
    {
        var (line, column) = Where(at ?? _position);
        return new JsonInputException(line, column, reason);
    }
}
