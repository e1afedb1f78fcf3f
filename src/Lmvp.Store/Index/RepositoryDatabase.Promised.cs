namespace Lmvp.Store.Index;

internal sealed partial class RepositoryDatabase
{
    // ---- files whose chunks a remote promises ----

    /// <summary>Records that <paramref name="remote"/> holds every chunk of these files (a server keeps a file only with all its chunks).</summary>
    public void AddPromisedFiles(IEnumerable<ObjectId> fileIds, string remote)
    {
        InTransaction(() =>
        {
            using var cmd = Command("INSERT INTO promised_files(file_id, remote) VALUES($f, $r) ON CONFLICT(file_id) DO NOTHING", ("$r", remote));
            var file = cmd.Parameters.Add("$f", Microsoft.Data.Sqlite.SqliteType.Blob);
            foreach (var id in fileIds)
            {
                file.Value = id.ToArray();
                cmd.ExecuteNonQuery();
            }
        });
    }

    /// <summary>The remote that promises the chunks of file <paramref name="fileId"/>, or null when none does.</summary>
    public string? GetPromisingRemote(ObjectId fileId) => ScalarString("SELECT remote FROM promised_files WHERE file_id = $f", ("$f", fileId.ToArray()));
}
