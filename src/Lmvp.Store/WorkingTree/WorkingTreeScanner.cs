namespace Lmvp.Store.WorkingTree;

/// <summary>One file or symlink found in the working tree; <c>Path</c> is slash-separated and relative to the root.</summary>
internal sealed record ScannedFile(string Path, string FullPath, FileStat Stat, string? LinkTarget);

/// <summary>A path left out of snapshots, and the rule that left it out; a directory's path ends with '/'.</summary>
internal sealed record IgnoredPath(string Path, string Reason);

/// <summary>Walks the working tree without following symlinks, skipping ignored paths.</summary>
internal static class WorkingTreeScanner
{
    /// <summary>Every file and symlink under <paramref name="root"/>, sorted by path (ordinal); with <paramref name="ignored"/>,
    /// also what was left out and why (the built-in <c>.lmvp</c> and <c>.git</c> directories excepted).</summary>
    public static List<ScannedFile> Scan(string root, IgnoreRules rules, CancellationToken cancellationToken = default, List<IgnoredPath>? ignored = null)
    {
        var result = new List<ScannedFile>();
        Walk(root, "", rules, result, ignored, cancellationToken);
        result.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        ignored?.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return result;
    }

    private static void Walk(string directory, string prefix, IgnoreRules rules, List<ScannedFile> result, List<IgnoredPath>? ignored,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        foreach (var full in Directory.EnumerateFileSystemEntries(directory))
        {
            var name = System.IO.Path.GetFileName(full);
            var relative = prefix.Length == 0 ? name : prefix + "/" + name;
            var stat = FileStatReader.TryLstat(full);
            if (stat is not { } s)
            {
                // A name that is not valid UTF-8 reaches us with U+FFFD in it and cannot be opened by that name: never
                // leave it out silently (status would say clean while a file is not versioned).
                if (name.Contains('\uFFFD', StringComparison.Ordinal) && !rules.IsIgnored(relative, isDirectory: false) && !rules.IsIgnored(relative, isDirectory: true))
                {
                    throw new LmvpException($"'{relative}' has a name that is not valid UTF-8, which lmvp cannot record; rename it or add it to {IgnoreRules.FileName}.");
                }

                continue; // removed while we looked
            }

            if (s.IsDirectory)
            {
                var directoryReason = rules.Explain(relative, isDirectory: true);
                if (directoryReason is null)
                {
                    Walk(full, relative, rules, result, ignored, cancellationToken);
                }
                else if (!IgnoreRules.IsRepositoryDirectoryName(name))
                {
                    ignored?.Add(new IgnoredPath(relative + "/", directoryReason));
                }
            }
            else if ((s.IsRegular || s.IsSymlink) && rules.Explain(relative, isDirectory: false) is { } fileReason)
            {
                if (!IgnoreRules.IsRepositoryDirectoryName(name))
                {
                    ignored?.Add(new IgnoredPath(relative, fileReason));
                }
            }
            else if (s.IsRegular || s.IsSymlink)
            {
                if (name.StartsWith(CheckoutNames.TempPrefix, StringComparison.Ordinal))
                {
                    continue; // a checkout's half-written temp file
                }

                result.Add(new ScannedFile(relative, full, s, s.IsSymlink ? new FileInfo(full).LinkTarget : null));
            }
        }
    }
}

/// <summary>Names used by checkout for files it has not finished writing.</summary>
internal static class CheckoutNames
{
    /// <summary>Temp files start with this; scans skip them and checkout removes stale ones.</summary>
    public const string TempPrefix = ".lmvp-tmp-";

    /// <summary>A fresh temporary name beside <paramref name="fullPath"/>, in its directory, for the file that will take its name.</summary>
    public static string TempPathBeside(string fullPath) =>
        Path.Combine(Path.GetDirectoryName(fullPath)!, TempPrefix + Guid.NewGuid().ToString("N"));
}
