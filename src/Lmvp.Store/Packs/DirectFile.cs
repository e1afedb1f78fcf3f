using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Lmvp.Store.Packs;

/// <summary>The Linux ways to get a file that will be fsynced onto the disk while it is written: a second descriptor opened
/// with O_DIRECT for whole aligned blocks, and sync_file_range to start the writeback of what goes through the page cache.</summary>
/// <remarks>Best effort throughout: where O_DIRECT is refused (tmpfs, some network file systems) or a direct write fails, the
/// caller writes through its stream instead, and the fsync that publishes the file is what makes it durable in every case.
/// Mixing the two on one file is safe: the kernel keeps the page cache coherent with direct writes, and the fsync of any
/// descriptor flushes the whole file.</remarks>
internal sealed partial class DirectFile : IDisposable
{
    /// <summary>What O_DIRECT needs buffers, offsets and lengths aligned to (the largest logical block size in use).</summary>
    public const int Alignment = 4096;

    private const int OWriteOnly = 1;
    private const int OCloseOnExec = 0x80000;
    private const uint SyncFileRangeWrite = 2; // SYNC_FILE_RANGE_WRITE: start writeback of dirty pages, do not wait for it

    private readonly SafeFileHandle _buffered;
    private SafeFileHandle? _direct;

    private DirectFile(SafeFileHandle buffered, SafeFileHandle? direct)
    {
        _buffered = buffered;
        _direct = direct;
    }

    /// <summary>For a file being written from <paramref name="file"/>'s position; null off Linux.</summary>
    public static DirectFile? TryOpen(FileStream file)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        // O_DIRECT's value differs between architectures; elsewhere only the writeback hint is used.
        var oDirect = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 or Architecture.X86 => 0x4000,
            Architecture.Arm64 or Architecture.Arm => 0x10000,
            _ => 0,
        };
        SafeFileHandle? direct = null;
        if (oDirect != 0 && file.Position % Alignment == 0)
        {
            var fd = Open(file.Name, OWriteOnly | OCloseOnExec | oDirect);
            direct = fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : null;
        }

        return new DirectFile(file.SafeFileHandle, direct);
    }

    /// <summary>The offset into <paramref name="pinned"/> (a pinned array) at which an aligned block starts.</summary>
    public static unsafe int AlignedOffset(byte[] pinned)
    {
        var address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
        return (int)((Alignment - (address % Alignment)) % Alignment);
    }

    /// <summary>Writes <paramref name="data"/> (in an aligned buffer) at <paramref name="offset"/> around the page cache; false
    /// when it cannot (unaligned, refused), leaving the write to the caller.</summary>
    public bool TryWrite(ReadOnlySpan<byte> data, long offset)
    {
        if (_direct is null || data.Length % Alignment != 0 || offset % Alignment != 0)
        {
            return false;
        }

        try
        {
            RandomAccess.Write(_direct, data, offset);
            return true;
        }
        catch (IOException)
        {
            // EINVAL from a file system that opens with O_DIRECT but will not write so: stop trying.
            _direct.Dispose();
            _direct = null;
            return false;
        }
    }

    /// <summary>Starts writing a range written through the page cache to disk, without waiting for it.</summary>
    public void StartWriteback(long offset, int length)
    {
        var added = false;
        try
        {
            _buffered.DangerousAddRef(ref added);
            _ = SyncFileRange((int)_buffered.DangerousGetHandle(), offset, length, SyncFileRangeWrite);
        }
        catch (ObjectDisposedException)
        {
            // The stream was closed under us (the pack is being abandoned): nothing to hint.
        }
        finally
        {
            if (added)
            {
                _buffered.DangerousRelease();
            }
        }
    }

    public void Dispose()
    {
        _direct?.Dispose();
        _direct = null;
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "sync_file_range")]
    private static partial int SyncFileRange(int fd, long offset, long count, uint flags);
}
