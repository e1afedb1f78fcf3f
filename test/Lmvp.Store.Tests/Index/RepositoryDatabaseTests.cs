using Lmvp.Store.Index;
using Lmvp.Store.Packs;
using Lmvp.Testing;
using Microsoft.Data.Sqlite;

namespace Lmvp.Store.Tests.Index;

public class RepositoryDatabaseTests
{
    [Test]
    public void Open_AFutureSchemaVersion_IsRefusedWithAClearMessage()
    {
        using var dir = new TempDirectory("db-schema");
        var path = dir.Combine("lmvp.db");
        using (var db = RepositoryDatabase.Open(path, create: true))
        {
            db.SetMeta("schema_version", "99");
        }

        Sql(path, $"PRAGMA user_version = {RepositoryDatabase.Layout + 1}"); // as the newer lmvp that wrote version 99 marks it
        var open = () => RepositoryDatabase.Open(path, create: false);
        open.Should().Throw<LmvpException>().WithMessage("*schema version 99*");
    }

    [Test]
    public void Open_ACurrentDatabase_RunsNoSchemaStatements()
    {
        using var dir = new TempDirectory("db-current");
        var path = dir.Combine("lmvp.db");
        RepositoryDatabase.Open(path, create: true).Dispose();
        Sql(path, "DROP TABLE promised_files");

        // Had the open run CREATE TABLE IF NOT EXISTS, the table would be back.
        RepositoryDatabase.Open(path, create: false).Dispose();
        Scalar(path, "SELECT count(*) FROM sqlite_master WHERE name = 'promised_files'").Should().Be(0);
        Scalar(path, "PRAGMA user_version").Should().Be(RepositoryDatabase.Layout);
    }

    [Test]
    public void Open_ADatabaseFromBeforeTheLayoutMark_GetsItsMissingTablesAndTheMark()
    {
        using var dir = new TempDirectory("db-old");
        var path = dir.Combine("lmvp.db");
        RepositoryDatabase.Open(path, create: true).Dispose();
        Sql(path, "DROP TABLE promised_files; DROP TABLE reflog; PRAGMA user_version = 0");

        using (var db = RepositoryDatabase.Open(path, create: false))
        {
            db.SetRef("refs/heads/main", ObjectId.Compute("a"u8)); // writes the reflog
        }

        Scalar(path, "SELECT count(*) FROM sqlite_master WHERE name IN ('promised_files', 'reflog')").Should().Be(2);
        Scalar(path, "PRAGMA user_version").Should().Be(RepositoryDatabase.Layout);
        Scalar(path, "SELECT count(*) FROM reflog").Should().Be(1);
    }

    [Test]
    public void Open_ADatabaseANewerLmvpMarked_OpensAndKeepsItsMark()
    {
        using var dir = new TempDirectory("db-newer");
        var path = dir.Combine("lmvp.db");
        RepositoryDatabase.Open(path, create: true).Dispose();
        Sql(path, $"PRAGMA user_version = {RepositoryDatabase.Layout + 5}");

        RepositoryDatabase.Open(path, create: false).Dispose();
        Scalar(path, "PRAGMA user_version").Should().Be(RepositoryDatabase.Layout + 5);
    }

    private static void Sql(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static long Scalar(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }

    [Test]
    public void Open_AFileThatIsNotADatabase_IsCorruptNotACrash()
    {
        using var dir = new TempDirectory("db-garbage");
        var path = dir.WriteFile("lmvp.db", TestData.Random(8192, seed: 1));

        var open = () => RepositoryDatabase.Open(path, create: false);
        open.Should().Throw<CorruptObjectException>().WithMessage($"*{path}*");
    }

    [Test]
    public void Open_WithoutCreate_AMissingFile_IsRepositoryNotFound()
    {
        using var dir = new TempDirectory("db-missing");
        var open = () => RepositoryDatabase.Open(dir.Combine("lmvp.db"), create: false);
        open.Should().Throw<RepositoryNotFoundException>();
        File.Exists(dir.Combine("lmvp.db")).Should().BeFalse();
    }

    [Test]
    public void CompareAndSwapRef_MovesOnlyFromTheExpectedValue()
    {
        using var dir = new TempDirectory("db-cas");
        using var db = RepositoryDatabase.Open(dir.Combine("lmvp.db"), create: true);
        var a = ObjectId.Compute("a"u8);
        var b = ObjectId.Compute("b"u8);

        db.CompareAndSwapRef("refs/heads/main", null, a);
        var fromNothing = () => db.CompareAndSwapRef("refs/heads/main", null, b);
        fromNothing.Should().Throw<RefConflictException>();
        var fromWrong = () => db.CompareAndSwapRef("refs/heads/main", b, b);
        fromWrong.Should().Throw<RefConflictException>().WithMessage($"*{a.ToShortString()}*");
        db.CompareAndSwapRef("refs/heads/main", a, b);
        db.GetRef("refs/heads/main").Should().Be(b);
    }

    [Test]
    public void InTransaction_AFailure_RollsEverythingBack()
    {
        using var dir = new TempDirectory("db-tx");
        using var db = RepositoryDatabase.Open(dir.Combine("lmvp.db"), create: true);
        var id = ObjectId.Compute("t"u8);

        var failing = () => db.InTransaction(() =>
        {
            db.PutObject(id, ObjectKind.Tree, [1, 2, 3]);
            db.SetRef("refs/heads/x", id);
            throw new InvalidOperationException("boom");
        });

        failing.Should().Throw<InvalidOperationException>();
        db.HasObject(id).Should().BeFalse();
        db.GetRef("refs/heads/x").Should().BeNull();
    }

    [Test]
    public void FindByPrefix_FindsOnlyObjectsOfTheKindWithThatPrefix()
    {
        using var dir = new TempDirectory("db-prefix");
        using var db = RepositoryDatabase.Open(dir.Combine("lmvp.db"), create: true);
        var ids = Enumerable.Range(0, 64).Select(i => ObjectId.Compute([(byte)i])).ToList();
        db.InTransaction(() =>
        {
            foreach (var id in ids)
            {
                db.PutObject(id, ObjectKind.Commit, [0]);
            }
        });

        var target = ids[17];
        db.FindByPrefix(target.ToString()[..6], ObjectKind.Commit, 10).Should().Equal(target);
        db.FindByPrefix(target.ToString()[..6], ObjectKind.Tree, 10).Should().BeEmpty();
        db.FindByPrefix(target.ToString(), ObjectKind.Commit, 10).Should().Equal(target);
        var firstDigit = target.ToString()[..1];
        db.FindByPrefix(firstDigit, ObjectKind.Commit, 100).Should().BeEquivalentTo(ids.Where(i => i.ToString().StartsWith(firstDigit, StringComparison.Ordinal)));
    }
}
