using System.CommandLine;
using Lmvp.Server.Hosting;
using Lmvp.Server.Services.Maintenance;

namespace Lmvp.Server.Commands;

/// <summary><c>lmvp-server admin migrate | migrate-storage | gc | verify</c>: the schema, moving up to PostgreSQL + S3, and
/// server-side maintenance on either backend.</summary>
internal static class StorageCommands
{
    public static IEnumerable<Command> Build(StorageOptions storage, TextWriter output) =>
        [MigrateCommand(storage, output), MigrateStorageCommand(storage, output), GcCommand(storage, output), VerifyCommand(storage, output)];

    private static Command MigrateCommand(StorageOptions storage, TextWriter output)
    {
        var command = new Command("migrate", "Bring the metadata database's schema up to this version (servers also do it when they start).");
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var settings = storage.ReadUnchecked(parseResult);
            if (settings.Database is null && settings.DataDirectory is null)
            {
                throw new UsageException("say which database: --database URL, or --data DIR for the embedded one");
            }

            await using var opened = await AdminStorage.OpenMetadataAsync(settings with { Packs = null }, cancellationToken);
            var version = await opened.Database.VersionAsync(cancellationToken);
            await output.WriteLineAsync(version == opened.Database.LatestVersion
                ? $"{opened.Database.Description}: schema version {version}, up to date"
                : $"{opened.Database.Description}: schema version {version}");
            return ServerCommandLine.ExitOk;
        });
        return command;
    }

    private static Command MigrateStorageCommand(StorageOptions storage, TextWriter output)
    {
        var from = new Option<string>("--from") { Description = "The data directory of an embedded server (stopped) to copy from.", Required = true };
        var command = new Command("migrate-storage",
            "Copy an embedded server's data (users, tokens, sessions, repositories, refs, objects, packs, keys) into the storage named by "
            + "--database and --packs, verifying every chunk; run it again to resume.") { from };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var target = storage.ReadUnchecked(parseResult);
            if (target.Database is null || target.Packs is null)
            {
                throw new UsageException("migrate-storage copies into PostgreSQL and a bucket: give --database and --packs s3://BUCKET");
            }

            var source = parseResult.GetValue(from)!;
            if (!File.Exists(Path.Combine(source, Storage.Sqlite.SqliteDatabase.FileName)))
            {
                throw new UsageException($"{Path.GetFullPath(source)} is not an lmvp-server data directory (no {Storage.Sqlite.SqliteDatabase.FileName})");
            }

            var report = await StorageMigration.RunAsync(source, target with { DataDirectory = null }, line => output.WriteLine(line), cancellationToken);
            await output.WriteLineAsync(report.ToString());
            return ServerCommandLine.ExitOk;
        });
        return command;
    }

    private static Command GcCommand(StorageOptions storage, TextWriter output)
    {
        var repository = new Argument<string?>("repository") { Description = "OWNER/NAME (default: every repository).", Arity = ArgumentArity.ZeroOrOne };
        var grace = new Option<int>("--grace-minutes")
        {
            Description = "Delete a chunk only once it has been unreachable for this long (protects pushes in flight on any server).",
            DefaultValueFactory = _ => ServerGc.DefaultGraceMinutes,
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Report what would be freed; change nothing." };
        var command = new Command("gc", "Remove chunks no ref reaches, and the packs left holding none.") { repository, grace, dryRun };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            if (parseResult.GetValue(grace) < 0)
            {
                throw new UsageException("--grace-minutes must be 0 or more");
            }

            await using var opened = await AdminStorage.OpenAllAsync(storage.Read(parseResult), cancellationToken);
            var gc = new ServerGc(opened, TimeProvider.System);
            foreach (var repo in await Repositories.ResolveAsync(opened.Metadata, parseResult.GetValue(repository), cancellationToken))
            {
                var result = await gc.RunAsync(repo, TimeSpan.FromMinutes(parseResult.GetValue(grace)), parseResult.GetValue(dryRun), cancellationToken);
                await output.WriteLineAsync($"{repo.FullName}: {result}");
            }

            return ServerCommandLine.ExitOk;
        });
        return command;
    }

    private static Command VerifyCommand(StorageOptions storage, TextWriter output)
    {
        var repository = new Argument<string?>("repository") { Description = "OWNER/NAME (default: every repository).", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("verify", "Read every pack and check every chunk and object; name each damaged chunk with the files, commits and refs that "
            + "use it. Exits 1 on damage.") { repository };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var opened = await AdminStorage.OpenAllAsync(storage.Read(parseResult), cancellationToken);
            var damaged = false;
            foreach (var repo in await Repositories.ResolveAsync(opened.Metadata, parseResult.GetValue(repository), cancellationToken))
            {
                var report = await ServerVerify.RunAsync(opened, repo, cancellationToken);
                foreach (var line in report.Lines())
                {
                    await output.WriteLineAsync(line);
                }

                damaged |= !report.IsClean;
            }

            return damaged ? ServerCommandLine.ExitFailure : ServerCommandLine.ExitOk;
        });
        return command;
    }
}

/// <summary>The repositories an admin command names: one OWNER/NAME, or all of them.</summary>
internal static class Repositories
{
    public static async Task<IReadOnlyList<Storage.RepositoryRecord>> ResolveAsync(Storage.MetadataStores store, string? fullName, CancellationToken cancellationToken)
    {
        if (fullName is null)
        {
            return [.. (await store.Repositories.ListVisibleRepositoriesAsync(0, isServerAdmin: true, cancellationToken)).Select(r => r.Repository)];
        }

        var parts = fullName.Split('/');
        if (parts.Length != 2 || !Api.Names.IsValid(parts[0]) || !Api.Names.IsValid(parts[1]))
        {
            throw new UsageException($"'{fullName}' is not OWNER/NAME");
        }

        return [await store.Repositories.FindRepositoryAsync(parts[0], parts[1], cancellationToken)
            ?? throw new InvalidOperationException($"no repository {fullName}")];
    }
}
