using Lmvp.Server.Storage;
using Lmvp.Server.Storage.FileSystem;

namespace Lmvp.Server.Tests.Storage;

/// <summary>The blob store contract against the embedded provider: files under a directory.</summary>
[TestFixture]
public sealed class FileSystemBlobStoreTests : BlobStoreContract
{
    private readonly List<string> _directories = [];

    internal override Task<IBlobStore> CreateStoreAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"lmvp-blobs-{Guid.NewGuid():N}");
        _directories.Add(directory);
        return Task.FromResult<IBlobStore>(new FileSystemBlobStore(directory));
    }

    [OneTimeTearDown]
    public void DeleteDirectories()
    {
        foreach (var directory in _directories.Where(Directory.Exists))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public async Task AFailedPut_LeavesNoTemporaryFile_AndAStaleOneIsRemovedAtOpen()
    {
        var store = (FileSystemBlobStore)await CreateStoreAsync();
        var root = _directories[^1];
        var put = () => store.PutAsync("x/y", new ThrowingStream(), default);
        await put.Should().ThrowAsync<IOException>();
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Should().BeEmpty();

        Directory.CreateDirectory(Path.Combine(root, "x"));
        File.WriteAllText(Path.Combine(root, "x", ".put-leftover"), "killed half-way");
        using var reopened = new FileSystemBlobStore(root);
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Should().BeEmpty();
        store.Dispose();
    }

    [Test]
    public async Task Names_ThatLeaveTheRoot_AreRefused()
    {
        var store = await CreateStoreAsync();
        foreach (var name in new[] { "../x", "a/../../x", "/etc/passwd", "a//b", ".hidden", "a/.put-x", "" })
        {
            var put = () => store.PutAsync(name, new MemoryStream([1]), default);
            await put.Should().ThrowAsync<ArgumentException>("'{0}' is not a blob name", name);
        }

        (store as IDisposable)?.Dispose();
    }

    private sealed class ThrowingStream : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => 0; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new IOException("no bytes today");

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
