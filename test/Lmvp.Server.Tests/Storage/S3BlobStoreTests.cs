using Lmvp.Server.Storage;
using Lmvp.Server.Storage.S3;
using Lmvp.Server.Tests.Support;

namespace Lmvp.Server.Tests.Storage;

/// <summary>The blob store contract against a real S3 server (the run's Ceph RGW): a fresh key prefix of its bucket per test.</summary>
[TestFixture]
public sealed class S3BlobStoreTests : BlobStoreContract
{
    internal override async Task<IBlobStore> CreateStoreAsync() => new S3BlobStore(await ScaleOut.BucketPrefixAsync("contract"));

    [Test]
    public async Task Put_LargerThanAPart_IsAMultipartUpload_ReadBackWhole_AndAFailedOneLeavesNothing()
    {
        var options = (await ScaleOut.BucketPrefixAsync("multipart")) with { PartSize = 5 << 20 };
        using var store = new S3BlobStore(options);
        var data = new byte[(12 << 20) + 12_345];
        new Random(7).NextBytes(data);
        await store.PutAsync("big", new MemoryStream(data), default);
        (await store.GetLengthAsync("big", default)).Should().Be(data.Length);
        var tail = new byte[100_000];
        await store.ReadExactlyAsync("big", data.Length - tail.Length, tail, default);
        tail.Should().Equal(data[^tail.Length..]);
        var middle = new byte[6 << 20];
        await store.ReadExactlyAsync("big", 4 << 20, middle, default);
        middle.Should().Equal(data.AsSpan(4 << 20, 6 << 20).ToArray());

        var failing = () => store.PutAsync("broken", new CutStream(data, cutAt: 11 << 20), default);
        await failing.Should().ThrowAsync<IOException>();
        (await store.GetLengthAsync("broken", default)).Should().BeNull("a multipart upload that failed is aborted, never completed");
    }

    [Test]
    public async Task PutFile_LargerThanAPart_IsSentFromDiskInParts_ReadBackWhole_AndTheSpoolIsGone()
    {
        var options = (await ScaleOut.BucketPrefixAsync("multipart-file")) with { PartSize = 5 << 20 };
        using var store = new S3BlobStore(options);
        var data = new byte[(17 << 20) + 4_321];
        new Random(11).NextBytes(data);
        var spool = Path.Combine(Path.GetTempPath(), $"lmvp-spool-{Guid.NewGuid():N}");
        await File.WriteAllBytesAsync(spool, data);
        await store.PutFileAsync("repos/1/packs/big.pack", spool, default);
        File.Exists(spool).Should().BeFalse();
        (await store.GetLengthAsync("repos/1/packs/big.pack", default)).Should().Be(data.Length);
        var back = new byte[data.Length];
        await store.ReadExactlyAsync("repos/1/packs/big.pack", 0, back, default);
        back.Should().Equal(data, "parts sent out of order still land at their offsets");

        var missing = () => store.PutFileAsync("repos/1/packs/none.pack", spool, default);
        await missing.Should().ThrowAsync<FileNotFoundException>();
        (await store.GetLengthAsync("repos/1/packs/none.pack", default)).Should().BeNull();
    }

    [Test]
    public async Task Open_WithWrongCredentials_FailsWithOneLine()
    {
        var options = (await ScaleOut.BucketPrefixAsync("creds")) with { SecretKey = "wrong" };
        using var store = new S3BlobStore(options);
        var check = () => store.CheckAsync(default);
        (await check.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().StartWith("cannot use the bucket s3://");
    }

    private sealed class CutStream(byte[] data, int cutAt) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) =>
            Position >= cutAt ? throw new IOException("cut") : base.Read(buffer, offset, Math.Min(count, cutAt - (int)Position));

        public override int Read(Span<byte> buffer) => throw new NotSupportedException();

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(buffer, out var a) ? new(Read(a.Array!, a.Offset, a.Count)) : throw new NotSupportedException();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));
    }
}
