using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary>The JSON style of every <c>--json</c> output.</summary>
/// <remarks>NaN and ±infinity are written as the bare literals <c>NaN</c>, <c>Infinity</c> and <c>-Infinity</c>, as Python's
/// <c>json.dump</c> writes them and <c>json.loads</c> reads them back as floats (and as <c>--metrics-file</c> reads them). Strict
/// JSON has no way to write these values; a string would turn a number into text for the scripts that read it.
/// Every output is a named record (the <c>*Json</c> records next to each command) serialized with the source-generated
/// <see cref="CliJsonContext"/>: no reflection, so the native (AOT) build writes exactly what the JIT build writes.</remarks>
internal static class JsonOptions
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new PythonDoubleConverter(), new ParamValueConverter() },
        TypeInfoResolver = CliJsonContext.Default,
    };

    /// <summary>One <c>--json</c> document: indented, camelCase names, nulls written.</summary>
    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T)));

    /// <summary>A commit's params as JSON values: numbers as numbers, strings as strings.</summary>
    public static Dictionary<string, ParamValue> Params(IEnumerable<KeyValuePair<string, ParamValue>> parameters) =>
        parameters.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    /// <summary>Metrics as a JSON object, name → number.</summary>
    public static Dictionary<string, double> Metrics(IEnumerable<KeyValuePair<string, double>> metrics) =>
        metrics.ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);

    private static void WriteDouble(Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteRawValue(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity", skipInputValidation: true);
        }
    }

    /// <summary>Writes doubles in full, and NaN / Infinity / -Infinity as bare literals.</summary>
    private sealed class PythonDoubleConverter : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options) => WriteDouble(writer, value);
    }

    /// <summary>Writes a param as a JSON string or a number (written as metrics are).</summary>
    private sealed class ParamValueConverter : JsonConverter<ParamValue>
    {
        public override ParamValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String ? ParamValue.FromString(reader.GetString()!) : ParamValue.FromNumber(reader.GetDouble());

        public override void Write(Utf8JsonWriter writer, ParamValue value, JsonSerializerOptions options)
        {
            if (value.Text is { } text)
            {
                writer.WriteStringValue(text);
            }
            else
            {
                WriteDouble(writer, value.Number);
            }
        }
    }
}
