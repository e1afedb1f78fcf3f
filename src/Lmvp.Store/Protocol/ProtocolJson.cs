using System.Text.Json;
using System.Text.Json.Serialization;
using Lmvp.Store.Sync;

namespace Lmvp.Store.Protocol;

/// <summary>The source-generated serializers of every protocol body; both the client and lmvp-server use them.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(RefsResponse))]
[JsonSerializable(typeof(IdListRequest))]
[JsonSerializable(typeof(MissingResponse))]
[JsonSerializable(typeof(StoredResponse))]
[JsonSerializable(typeof(ClosureRequest))]
[JsonSerializable(typeof(RefUpdateRequest))]
[JsonSerializable(typeof(RefUpdateResponse))]
[JsonSerializable(typeof(ApiError))]
[JsonSerializable(typeof(CurrentUserResponse))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext
{
}

/// <summary>Helpers for ids in protocol bodies.</summary>
internal static class ProtocolIds
{
    /// <summary>Parses an id the server sent; anything malformed is a protocol error, not a crash.</summary>
    public static ObjectId Parse(string? hex, string server) =>
        ObjectId.TryParse(hex, out var id) ? id : throw new RemoteException($"{server} sent a malformed object id '{Truncate(hex)}'.");

    public static List<string> Hex(IEnumerable<ObjectId> ids) => ids.Select(i => i.ToString()).ToList();

    private static string Truncate(string? s) => s is null ? "null" : s.Length > 80 ? s[..80] + "..." : s;
}
