using System.Text.Encodings.Web;
using System.Text.Json;

namespace Lmvp.Cli.Commands;

/// <summary>The JSON style of every <c>--json</c> output.</summary>
internal static class JsonOptions
{
    public static JsonSerializerOptions Default { get; } = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
