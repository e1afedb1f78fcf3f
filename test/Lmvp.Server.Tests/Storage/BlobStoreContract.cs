using System.Text;
using Lmvp.Server.Storage;

namespace Lmvp.Server.Tests.Storage;

/// <summary>What every <see cref="IBlobStore"/> provider must do (the semantics its interface states); each provider's
/// fixture derives from this and supplies a fresh, empty store.</summary>
public abstract class BlobStoreContract
{
    private readonly List<IBlobStore> _opened = [];

    /// <summary>A fresh store that no other test sees (an empty directory, a unique bucket prefix).</summary>
    internal abstract Task<IBlobStore> CreateStoreAsync();

    [TearDown]
    public void DisposeStores()
    {
        foreach (var store in _opened)
        {
            (store as IDisposable)?.Dispose();
        }

        _opened.Clear();
    }

    [Test]
    public async Task Put_ThenRead_ReturnsTheBytes_AndTheLengthAndListingShowIt()
    {
        var store = await OpenAsync();
        var data = Bytes(300_000, 1);
        await store.PutAsync("repos/1/packs/a.pack", new MemoryStream(data), default);

        (await ReadAllAsync(store, "repos/1/packs/a.pack", data.Length)).Should().Equal(data);
        (await store.GetLengthAsync("repos/1/packs/a.pack", default)).Should().Be(data.Length);
        (await ListAsync(store, "repos/")).Should().Equal(new BlobInfo("repos/1/packs/a.pack", data.Length));
    }

    [Test]
    public async Task PutFile_StoresTheFileAndTakesItAway_AndPutScratch_IsReadLikeAnyBlob()
    {
        var store = await OpenAsync();
        var data = Bytes(200_000, 7);
        var spool = Path.Combine(Path.GetTempPath(), $"lmvp-spool-{Guid.NewGuid():N}");
        await File.WriteAllBytesAsync(spool, data);
        await store.PutFileAsync("repos/2/packs/s.pack", spool, default);
        File.Exists(spool).Should().BeFalse("the store took the spool");
        (await ReadAllAsync(store, "repos/2/packs/s.pack", data.Length)).Should().Equal(data);

        await store.PutScratchAsync("uploads/u/0", new MemoryStream(data), default);
        (await ReadAllAsync(store, "uploads/u/0", data.Length)).Should().Equal(data);
        (await ListAsync(store, "uploads/")).Should().Equal(new BlobInfo("uploads/u/0", data.Length));
    }

    [Test]
    public async Task Put_ReadsTheStreamFromItsPosition()
    {
        var store = await OpenAsync();
        var stream = new MemoryStream(Encoding.ASCII.GetBytes("skip-keep"));
        stream.Position = 5;
        await store.PutAsync("b/x", stream, default);
        (await ReadAllAsync(store, "b/x", 4)).Should().Equal(Encoding.ASCII.GetBytes("keep"));
    }

    [Test]
    public async Task Put_ThatFailsPartWay_LeavesNoBlob_AndAnOldBlobUntouched()
    {
        var store = await OpenAsync();
        var old = Bytes(1000, 2);
        await store.PutAsync("p/old", new MemoryStream(old), default);

        var failing = () => store.PutAsync("p/new", new FailingStream(Bytes(500_000, 3), failAfter: 200_000), default);
        await failing.Should().ThrowAsync<IOException>();
        var replacing = () => store.PutAsync("p/old", new FailingStream(Bytes(500_000, 4), failAfter: 100_000), default);
        await replacing.Should().ThrowAsync<IOException>();

        (await store.GetLengthAsync("p/new", default)).Should().BeNull("a failed put leaves nothing");
        (await ListAsync(store, "p/")).Select(b => b.Name).Should().Equal("p/old");
        (await ReadAllAsync(store, "p/old", old.Length)).Should().Equal(old, "a failed replacement leaves the old bytes whole");
    }

    [Test]
    public async Task Put_Cancelled_LeavesNoBlob()
    {
        var store = await OpenAsync();
        using var cancel = new CancellationTokenSource();
        var stream = new FailingStream(Bytes(400_000, 5), failAfter: 100_000, onFail: cancel.Cancel);
        var put = () => store.PutAsync("c/x", stream, cancel.Token);
        await put.Should().ThrowAsync<Exception>();
        (await store.GetLengthAsync("c/x", default)).Should().BeNull();
        (await ListAsync(store, "c/")).Should().BeEmpty();
    }

    [Test]
    public async Task Put_UnderAnExistingName_ReplacesTheWholeBlob()
    {
        var store = await OpenAsync();
        await store.PutAsync("r/x", new MemoryStream(Bytes(100_000, 6)), default);
        var second = Bytes(40_000, 7);
        await store.PutAsync("r/x", new MemoryStream(second), default);
        (await store.GetLengthAsync("r/x", default)).Should().Be(second.Length);
        (await ReadAllAsync(store, "r/x", second.Length)).Should().Equal(second);
    }

    [Test]
    public async Task Read_OfARange_ReturnsThoseBytes_AndZeroAtOrPastTheEnd()
    {
        var store = await OpenAsync();
        var data = Bytes(70_000, 8);
        await store.PutAsync("g/x", new MemoryStream(data), default);

        var middle = new byte[1000];
        await store.ReadExactlyAsync("g/x", 12_345, middle, default);
        middle.Should().Equal(data.AsSpan(12_345, 1000).ToArray());

        var tail = new byte[5000];
        var n = await ReadFillAsync(store, "g/x", data.Length - 100, tail);
        n.Should().Be(100, "a read past the end returns what is there");
        tail.AsSpan(0, 100).ToArray().Should().Equal(data.AsSpan(data.Length - 100).ToArray());
        (await store.ReadAsync("g/x", data.Length, new byte[10], default)).Should().Be(0);
        (await store.ReadAsync("g/x", data.Length + 1000, new byte[10], default)).Should().Be(0);

        var exact = () => store.ReadExactlyAsync("g/x", data.Length - 10, new byte[20], default);
        await exact.Should().ThrowAsync<Lmvp.Store.CorruptObjectException>("ReadExactly refuses a blob that ends early");
    }

    [Test]
    public async Task Missing_Blobs_AreNotFound_AndHaveNoLength()
    {
        var store = await OpenAsync();
        var read = () => store.ReadAsync("none/x", 0, new byte[10], default);
        await read.Should().ThrowAsync<BlobNotFoundException>();
        (await store.GetLengthAsync("none/x", default)).Should().BeNull();
    }

    [Test]
    public async Task List_ByPrefix_IsInNameOrder_AndShowsOnlyWholeBlobs()
    {
        var store = await OpenAsync();
        foreach (var name in new[] { "l/b/2", "l/a", "l/b/1", "m/z", "l/c" })
        {
            await store.PutAsync(name, new MemoryStream(Encoding.ASCII.GetBytes(name)), default);
        }

        (await ListAsync(store, "l/")).Select(b => b.Name).Should().Equal("l/a", "l/b/1", "l/b/2", "l/c");
        (await ListAsync(store, "l/b/")).Select(b => (b.Name, b.Length)).Should().Equal(("l/b/1", 5L), ("l/b/2", 5L));
        (await ListAsync(store, "q/")).Should().BeEmpty();
    }

    [Test]
    public async Task Delete_RemovesTheBlob_OnceOnly()
    {
        var store = await OpenAsync();
        await store.PutAsync("d/x", new MemoryStream(Bytes(10, 9)), default);
        (await store.DeleteAsync("d/x", default)).Should().BeTrue();
        (await store.DeleteAsync("d/x", default)).Should().BeFalse();
        (await store.GetLengthAsync("d/x", default)).Should().BeNull();
        var read = () => store.ReadAsync("d/x", 0, new byte[1], default);
        await read.Should().ThrowAsync<BlobNotFoundException>();
    }

    [Test]
    public async Task ConcurrentWriters_OfDifferentBlobs_AllLandWhole()
    {
        var store = await OpenAsync();
        var blobs = Enumerable.Range(0, 16).Select(i => (Name: $"w/{i}", Data: Bytes(50_000 + (i * 1000), 100 + i))).ToList();
        await Task.WhenAll(blobs.Select(b => Task.Run(() => store.PutAsync(b.Name, new MemoryStream(b.Data), default))));
        foreach (var (name, data) in blobs)
        {
            (await ReadAllAsync(store, name, data.Length)).Should().Equal(data);
        }
    }

    [Test]
    public async Task ConcurrentWriters_OfOneName_LeaveExactlyOneWholeVersion()
    {
        var store = await OpenAsync();
        var versions = Enumerable.Range(0, 16).Select(i => Bytes(60_000, 200 + i)).ToList();
        await Task.WhenAll(versions.Select(v => Task.Run(() => store.PutAsync("same/x", new MemoryStream(v), default))));
        var length = (await store.GetLengthAsync("same/x", default))!.Value;
        var read = await ReadAllAsync(store, "same/x", (int)length);
        versions.Any(v => v.AsSpan().SequenceEqual(read)).Should().BeTrue("the blob is one writer's bytes, never a mix");
    }

    private async Task<IBlobStore> OpenAsync()
    {
        var store = await CreateStoreAsync();
        _opened.Add(store);
        return store;
    }

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task<byte[]> ReadAllAsync(IBlobStore store, string name, int length)
    {
        var buffer = new byte[length];
        await store.ReadExactlyAsync(name, 0, buffer, default);
        (await store.ReadAsync(name, length, new byte[1], default)).Should().Be(0, "the blob ends where it should");
        return buffer;
    }

    private static async Task<int> ReadFillAsync(IBlobStore store, string name, long offset, byte[] buffer)
    {
        var total = 0;
        int n;
        while (total < buffer.Length && (n = await store.ReadAsync(name, offset + total, buffer.AsMemory(total), default)) > 0)
        {
            total += n;
        }

        return total;
    }

    private static async Task<List<BlobInfo>> ListAsync(IBlobStore store, string prefix)
    {
        var list = new List<BlobInfo>();
        await foreach (var blob in store.ListAsync(prefix, default))
        {
            list.Add(blob);
        }

        return list;
    }

    /// <summary>A stream that fails (or cancels) after some bytes, as a dropped upload or a dying disk does.</summary>
    private sealed class FailingStream(byte[] data, int failAfter, Action? onFail = null) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => Fail(base.Read(buffer, offset, Math.Min(count, 16_384)));

        public override int Read(Span<byte> buffer) => Fail(base.Read(buffer[..Math.Min(buffer.Length, 16_384)]));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            new(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer, offset, count));

        private int Fail(int n)
        {
            if (Position > failAfter)
            {
                onFail?.Invoke();
                throw new IOException("the source failed part-way");
            }

            return n;
        }
    }
}
