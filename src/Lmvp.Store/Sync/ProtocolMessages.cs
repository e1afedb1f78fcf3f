using System.Text.Json;

namespace Lmvp.Store.Sync;

// The JSON bodies of docs/PROTOCOL.md (camelCase, ids as 64 lowercase hex digits).

internal sealed record RefsMessage(string? Head, Dictionary<string, string>? Refs);

internal sealed record IdsMessage(IReadOnlyList<string> Ids);

internal sealed record MissingMessage(List<string>? Missing);

internal sealed record StoredMessage(long Stored);

internal sealed record ClosureRequest(IReadOnlyList<string> Want, IReadOnlyList<string> Have);

internal sealed record RefUpdateRequest(string Name, string? Old, string New, bool Force);

internal sealed record ErrorMessage(string? Error);

internal static class ProtocolJson
{
    /// <summary>The most ids one batch request may carry.</summary>
    public const int MaxIdsPerRequest = 10_000;

    /// <summary>The most frames sent in one upload (the server takes up to 100,000).</summary>
    public const int MaxFramesPerUpload = 50_000;

    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>Parses an id the server sent; anything malformed is a protocol error, not a crash.</summary>
    public static ObjectId ParseId(string? hex, string server) =>
        ObjectId.TryParse(hex, out var id) ? id : throw new RemoteException($"{server} sent a malformed object id '{Truncate(hex)}'.");

    public static List<string> Hex(IEnumerable<ObjectId> ids) => ids.Select(i => i.ToString()).ToList();

    private static string Truncate(string? s) => s is null ? "null" : s.Length > 80 ? s[..80] + "..." : s;
}
