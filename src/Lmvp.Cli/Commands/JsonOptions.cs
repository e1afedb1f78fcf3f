using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary>The JSON style of every <c>--json</c> output.</summary>
/// <remarks>NaN and ±infinity are written as the bare literals <c>NaN</c>, <c>Infinity</c> and <c>-Infinity</c>, as Python's
/// <c>json.dump</c> writes them and <c>json.loads</c> reads them back as floats (and as <c>--metrics-file</c> reads them). Strict
/// JSON has no way to write these values; a string would turn a number into text for the scripts that read it.</remarks>
internal static class JsonOptions
{
    public static JsonSerializerOptions Default { get; } = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new PythonDoubleConverter() },
    };

    /// <summary>A commit's params as JSON values: numbers as numbers, strings as strings.</summary>
    public static Dictionary<string, object> Params(IEnumerable<KeyValuePair<string, ParamValue>> parameters) =>
        parameters.ToDictionary(p => p.Key, p => p.Value.Text is { } text ? (object)text : p.Value.Number, StringComparer.Ordinal);

    /// <summary>Writes doubles in full, and NaN / Infinity / -Infinity as bare literals.</summary>
    private sealed class PythonDoubleConverter : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
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
    }
}
