using System.Text.Json.Serialization;

namespace Lmvp.Cli.Commands;

/// <summary>Source-generated serializers of every <c>--json</c> output (the root type of each command's document).</summary>
/// <remarks>Use <see cref="JsonOptions.Serialize{T}"/>, which adds the relaxed escaping and the NaN-as-literal converter.</remarks>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(IEnumerable<ReflogEntryJson>))]
[JsonSerializable(typeof(IEnumerable<TreeEntryJson>))]
[JsonSerializable(typeof(IEnumerable<TagJson>))]
[JsonSerializable(typeof(IEnumerable<RemoteJson>))]
[JsonSerializable(typeof(IEnumerable<CommitJsonEntry>))]
[JsonSerializable(typeof(CommitJson))]
[JsonSerializable(typeof(BranchListJson))]
[JsonSerializable(typeof(StatusJson))]
[JsonSerializable(typeof(GetJson))]
[JsonSerializable(typeof(GcJson))]
[JsonSerializable(typeof(WhoAmIJson))]
[JsonSerializable(typeof(FetchJson))]
[JsonSerializable(typeof(PushJson))]
[JsonSerializable(typeof(PullJson))]
[JsonSerializable(typeof(CloneJson))]
[JsonSerializable(typeof(DiffJson))]
[JsonSerializable(typeof(ShowJson))]
[JsonSerializable(typeof(ShowTensorsJson))]
[JsonSerializable(typeof(FsckJson))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
