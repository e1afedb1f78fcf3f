using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Lmvp.Store.Packs;

/// <summary>Makes renames durable (on Linux a rename survives a power cut only once its directory is synced), and opens files
/// for reads around the page cache.</summary>
public static partial class FileSystemSync
{
    /// <summary>What an uncached read needs its buffer, offset and length aligned to.</summary>
    public const int UncachedAlignment = DirectFile.Alignment;

    private const int OReadOnly = 0;
    private const int OCloseOnExec = 0x80000;

    /// <summary>Linux's O_DIRECT on this architecture; 0 where it is not known (or not Linux).</summary>
    internal static int DirectFlag { get; } = !OperatingSystem.IsLinux() ? 0 : RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x4000,
        Architecture.Arm64 or Architecture.Arm => 0x10000,
        _ => 0,
    };

    /// <summary>The offset into <paramref name="pinned"/> (a pinned array) at which a block aligned for uncached reads and writes starts.</summary>
    public static unsafe int AlignedOffset(byte[] pinned)
    {
        var address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
        return (int)((UncachedAlignment - (address % UncachedAlignment)) % UncachedAlignment);
    }

    /// <summary>A read-only handle whose reads bypass the page cache (O_DIRECT; reads of <see cref="UncachedAlignment"/>-aligned
    /// buffers, offsets and lengths), or null where that cannot be had: not Linux, a file system that refuses it, no such file.</summary>
    public static SafeFileHandle? TryOpenUncached(string path)
    {
        if (DirectFlag == 0)
        {
            return null;
        }

        var fd = Open(path, OReadOnly | OCloseOnExec | DirectFlag);
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : null;
    }

    /// <summary>fsyncs a directory (a no-op where the platform does not allow opening one).</summary>
    public static void FlushDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }

        var fd = Open(directory, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            return;
        }

        try
        {
            _ = Fsync(fd);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
