using System.Text.Json;

namespace Lmvp.Server.Api;

// JSON bodies of the content API: history, metrics, files, tags, uploads and commits made over HTTP (camelCase on the wire).
// Ids are 64-digit lowercase hex; times are ISO 8601; a metric that is not a finite number is the string "NaN", "Infinity"
// or "-Infinity".

/// <summary>A commit as the JSON API shows it.</summary>
/// <param name="Id">Its id.</param>
/// <param name="ShortId">The 12-digit form the CLI prints.</param>
/// <param name="Tree">The id of its root tree.</param>
/// <param name="Parents">Its parents' ids (first parent first).</param>
/// <param name="Author">Who made it.</param>
/// <param name="Time">When.</param>
/// <param name="Message">The whole message.</param>
/// <param name="Subject">The message's first line.</param>
/// <param name="Metrics">Its metrics by name.</param>
/// <param name="Params">Its params (hyperparameters) by name: numbers or strings.</param>
/// <param name="Provenance">The git commit of the training code, when recorded.</param>
/// <param name="Branches">Branches whose head it is.</param>
/// <param name="Tags">Tags that point at it.</param>
internal sealed record CommitResponse(string Id, string ShortId, string Tree, IReadOnlyList<string> Parents, string Author, DateTimeOffset Time,
    string Message, string Subject, IReadOnlyDictionary<string, double> Metrics, IReadOnlyDictionary<string, JsonElement> Params,
    ProvenanceResponse? Provenance, IReadOnlyList<string> Branches, IReadOnlyList<string> Tags);

/// <summary>The code a commit was trained with.</summary>
/// <param name="GitCommit">The git commit id.</param>
/// <param name="Branch">The git branch, if any.</param>
/// <param name="Dirty">True when the git work tree had uncommitted changes.</param>
/// <param name="OriginUrl">The git remote's URL, if any.</param>
/// <param name="DirtyFiles">The git-tracked files that had uncommitted changes.</param>
internal sealed record ProvenanceResponse(string GitCommit, string? Branch = null, bool Dirty = false, string? OriginUrl = null,
    IReadOnlyList<string>? DirtyFiles = null);

/// <summary>One page of history, newest first.</summary>
/// <param name="Revision">The revision the history starts at, as asked.</param>
/// <param name="Head">The commit it resolved to.</param>
/// <param name="Commits">This page's commits.</param>
/// <param name="NextCursor">Pass as <c>cursor</c> for the next page; null on the last page.</param>
internal sealed record CommitPageResponse(string Revision, string Head, IReadOnlyList<CommitResponse> Commits, string? NextCursor);

/// <summary>Metric values along a history, oldest first, one column per metric (null where a commit lacks the metric).</summary>
/// <param name="Revision">The revision asked for.</param>
/// <param name="Head">The commit it resolved to.</param>
/// <param name="Commits">The commits' ids, oldest first.</param>
/// <param name="Times">Their times.</param>
/// <param name="Series">Each metric's values, aligned with <paramref name="Commits"/>.</param>
internal sealed record MetricSeriesResponse(string Revision, string Head, IReadOnlyList<string> Commits, IReadOnlyList<DateTimeOffset> Times,
    IReadOnlyDictionary<string, IReadOnlyList<double?>> Series);

/// <summary>A file, directory or symbolic link in a snapshot.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Path">Its path from the snapshot's root.</param>
/// <param name="Type"><c>file</c>, <c>directory</c> or <c>symlink</c>.</param>
/// <param name="Size">Bytes (0 for a directory).</param>
/// <param name="Id">The file id (BLAKE3 of the content) or tree id.</param>
/// <param name="Executable">The executable bit of a file.</param>
/// <param name="Sha256">The file's SHA-256 when the server knows it (always after a digests request).</param>
/// <param name="Target">A link's target.</param>
internal sealed record TreeEntryResponse(string Name, string Path, string Type, long Size, string Id, bool Executable, string? Sha256, string? Target);

/// <summary>The entries of a directory in a snapshot (or the one entry of a file).</summary>
/// <param name="Commit">The commit the revision resolved to.</param>
/// <param name="Path">The directory's path ("" for the root).</param>
/// <param name="Entries">Its entries (every file below it when recursive), by path.</param>
internal sealed record TreeResponse(string Commit, string Path, IReadOnlyList<TreeEntryResponse> Entries);

/// <summary>Ask for the SHA-256 of files of a revision (computed by the server where it is not known yet).</summary>
/// <param name="Revision">A branch, tag or commit.</param>
/// <param name="Paths">File paths.</param>
internal sealed record DigestsRequest(string Revision, IReadOnlyList<string> Paths);

/// <summary>Files with their SHA-256.</summary>
/// <param name="Commit">The commit the revision resolved to.</param>
/// <param name="Files">The files asked for, in order.</param>
internal sealed record DigestsResponse(string Commit, IReadOnlyList<TreeEntryResponse> Files);

/// <summary>A branch or tag.</summary>
/// <param name="Name">Its short name (<c>main</c>, <c>best-val</c>).</param>
/// <param name="Commit">The commit it points at.</param>
internal sealed record RefResponse(string Name, string Commit);

/// <summary>The branches, and which is the default.</summary>
/// <param name="Default">The default branch.</param>
/// <param name="Branches">Every branch, by name.</param>
internal sealed record BranchesResponse(string Default, IReadOnlyList<RefResponse> Branches);

/// <summary>Create a tag, or move one with force.</summary>
/// <param name="Target">The revision it points at.</param>
/// <param name="Force">Move the tag if it exists.</param>
internal sealed record TagRequest(string Target, bool Force = false);

/// <summary>Start an upload of one file.</summary>
/// <param name="Size">Its size, when known: the upload cannot finish before that many bytes arrived, nor go past it.</param>
internal sealed record CreateUploadRequest(long? Size = null);

/// <summary>An upload session.</summary>
/// <param name="Id">Its id, for the upload's URL.</param>
/// <param name="Offset">Bytes received so far: where the next part starts.</param>
/// <param name="Size">The declared size, if any.</param>
/// <param name="ExpiresAt">When it is deleted unless a part arrives first.</param>
/// <param name="FileId">The file it became, once finished.</param>
/// <param name="Sha256">Its SHA-256, once finished.</param>
internal sealed record UploadResponse(string Id, long Offset, long? Size, DateTimeOffset ExpiresAt, string? FileId, string? Sha256);

/// <summary>Finish an upload: the server chunks the file and keeps it if its SHA-256 is the one stated.</summary>
/// <param name="Sha256">The file's SHA-256 (64 hex digits).</param>
internal sealed record FinishUploadRequest(string Sha256);

/// <summary>A finished upload: the file as stored, and what it added.</summary>
/// <param name="Id">The upload's id (what a commit request names).</param>
/// <param name="FileId">The file id (BLAKE3 of the content).</param>
/// <param name="Size">Bytes.</param>
/// <param name="Sha256">The SHA-256, as verified.</param>
/// <param name="NewChunks">Chunks the repository did not hold before.</param>
/// <param name="NewBytes">Their bytes.</param>
internal sealed record FinishedUploadResponse(string Id, string FileId, long Size, string Sha256, long NewChunks, long NewBytes);

/// <summary>Make a commit on a branch: the branch's files, with uploaded files added or replaced and paths deleted.</summary>
/// <param name="Branch">The branch (created by the first commit).</param>
/// <param name="Message">The commit message.</param>
/// <param name="Parent">The head the client based the change on; when it is no longer the head the answer is 409 and nothing
/// changes. Null or absent: the head when the request arrives.</param>
/// <param name="Metrics">Metrics to record.</param>
/// <param name="Params">Params (hyperparameters) to record: numbers or strings.</param>
/// <param name="Files">Files to add or replace, each from a finished upload.</param>
/// <param name="Delete">Paths to delete (a directory's path deletes everything under it).</param>
/// <param name="Provenance">The git commit of the code, if the client knows it.</param>
/// <param name="Tag">A tag to point at the new commit (moved if it exists).</param>
/// <param name="AllowEmpty">Commit even when the files do not change.</param>
internal sealed record CreateCommitRequest(string Branch, string Message, string? Parent = null, IReadOnlyDictionary<string, double>? Metrics = null,
    IReadOnlyDictionary<string, JsonElement>? Params = null, IReadOnlyList<CommitFileRequest>? Files = null, IReadOnlyList<string>? Delete = null, ProvenanceResponse? Provenance = null, string? Tag = null,
    bool AllowEmpty = false);

/// <summary>A file of a commit request.</summary>
/// <param name="Path">Its path in the snapshot (slash-separated).</param>
/// <param name="Upload">The finished upload holding its bytes.</param>
/// <param name="Executable">The executable bit.</param>
internal sealed record CommitFileRequest(string Path, string Upload, bool Executable = false);

/// <summary>Source-generated serialization of the content API's bodies: a 5,000-commit page is serialized without reflection.</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[System.Text.Json.Serialization.JsonSerializable(typeof(CommitPageResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(CommitResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(MetricSeriesResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(TreeResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(DigestsRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(DigestsResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(BranchesResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<RefResponse>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(RefResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(TagRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(CreateUploadRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(UploadResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(FinishUploadRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(FinishedUploadResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(CreateCommitRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(double))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class ContentJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
