using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Lmvp.Store.WorkingTree;

/// <summary>What lstat says of a path: enough to tell that a file has not changed without reading it.</summary>
internal readonly record struct FileStat(long Size, long MtimeNs, long CtimeNs, long Inode, UnixFileMode Mode, bool IsRegular, bool IsDirectory, bool IsSymlink)
{
    public bool IsExecutable => (Mode & UnixFileMode.UserExecute) != 0;
}

/// <summary>lstat through statx on Linux (its layout is the same on every architecture); a portable fallback elsewhere.</summary>
internal static partial class FileStatReader
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const int StatxSize = 256;
    private static bool _statxUnavailable = !OperatingSystem.IsLinux();

    /// <summary>Stats <paramref name="path"/> without following a final symlink; null when it does not exist.</summary>
    public static FileStat? TryLstat(string path)
    {
        if (!_statxUnavailable)
        {
            Span<byte> buffer = stackalloc byte[StatxSize];
            try
            {
                if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, ref MemoryMarshal.GetReference(buffer)) != 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno is 2 or 20)
                    {
                        return null; // ENOENT, ENOTDIR
                    }

                    throw new IOException($"Cannot stat {path} (errno {errno}).");
                }

                var mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer[28..]);
                var type = mode & 0xF000;
                return new FileStat(
                    Size: BinaryPrimitives.ReadInt64LittleEndian(buffer[40..]),
                    MtimeNs: Nanos(buffer[112..]),
                    CtimeNs: Nanos(buffer[96..]),
                    Inode: BinaryPrimitives.ReadInt64LittleEndian(buffer[32..]),
                    Mode: (UnixFileMode)(mode & 0xFFF),
                    IsRegular: type == 0x8000,
                    IsDirectory: type == 0x4000,
                    IsSymlink: type == 0xA000);
            }
            catch (EntryPointNotFoundException)
            {
                _statxUnavailable = true;
            }
            catch (DllNotFoundException)
            {
                _statxUnavailable = true;
            }
        }

        var info = new FileInfo(path);
        if (!info.Exists && !Directory.Exists(path) && info.LinkTarget is null)
        {
            return null;
        }

        var attributes = info.Attributes;
        var isLink = (attributes & FileAttributes.ReparsePoint) != 0;
        var isDir = !isLink && (attributes & FileAttributes.Directory) != 0;
        var mtime = (info.LastWriteTimeUtc.Ticks - DateTime.UnixEpoch.Ticks) * 100;
        return new FileStat(isDir || isLink ? 0 : info.Length, mtime, mtime, 0,
            OperatingSystem.IsWindows() ? UnixFileMode.UserRead | UnixFileMode.UserWrite : info.UnixFileMode,
            !isDir && !isLink, isDir, isLink);
    }

    private static long Nanos(ReadOnlySpan<byte> timestamp) =>
        (BinaryPrimitives.ReadInt64LittleEndian(timestamp) * 1_000_000_000L) + BinaryPrimitives.ReadUInt32LittleEndian(timestamp[8..]);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, ref byte buffer);
}
