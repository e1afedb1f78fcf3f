using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Lmvp.Server.Storage.S3;

/// <summary>Blobs as objects in an S3-compatible bucket (AWS S3, Ceph RGW, MinIO), path-style addressed.</summary>
/// <remarks>
/// S3 makes a PUT (and a completed multipart upload) visible whole and at once, with read-after-write consistency, which is
/// the blob seam's contract. A blob up to <see cref="S3Options.PartSize"/> is one PUT; a larger one is a multipart upload of
/// parts read from the source one at a time (so memory stays at one part per upload), aborted if anything fails, so a failed
/// or cancelled put leaves no object; a finished spool file (<see cref="PutFileAsync"/>) is sent from disk, its parts a few at
/// a time. An upload's parts (<see cref="IBlobStore.PutScratchAsync"/>) are objects like any other: a bucket is durable already,
/// and every server sharing it must read them. Reads are ranged GETs. Checksums are computed and checked only when a request needs
/// them, as Ceph 16 does not accept the newer default ones.
/// </remarks>
internal sealed class S3BlobStore : IBlobStore, IDisposable
{
    private readonly AmazonS3Client _client;
    private readonly S3Options _options;
    private readonly string _prefix;

    public S3BlobStore(S3Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _prefix = options.Prefix.Length == 0 ? "" : options.Prefix.Trim('/') + "/";
        var config = new AmazonS3Config
        {
            ForcePathStyle = true,
            AuthenticationRegion = options.Region ?? "us-east-1",
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 4,
            Timeout = TimeSpan.FromMinutes(5),
        };
        if (options.Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region ?? "us-east-1");
        }

        _client = new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
    }

    /// <summary>Where the blobs are, for messages.</summary>
    public string Description => _options.ToString();

    /// <summary>Fails with a clear message when the bucket cannot be reached or read.</summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = _prefix, MaxKeys = 1 }, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException)
        {
            throw new InvalidOperationException($"cannot use the bucket {Description}: {e.Message.Split('\n')[0]}", e);
        }
    }

    public async Task PutAsync(string name, Stream content, CancellationToken cancellationToken)
    {
        var key = Key(name);
        var buffer = ArrayPool<byte>.Shared.Rent(_options.PartSize);
        try
        {
            var filled = await FillAsync(content, buffer, cancellationToken).ConfigureAwait(false);
            if (filled < _options.PartSize)
            {
                await Call(() => _client.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = _options.Bucket,
                    Key = key,
                    InputStream = new MemoryStream(buffer, 0, filled, writable: false),
                    AutoCloseStream = false,
                    UseChunkEncoding = false,
                }, cancellationToken), name).ConfigureAwait(false);
                return;
            }

            await PutMultipartAsync(name, key, content, buffer, filled, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public async Task<int> ReadAsync(string name, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (destination.Length == 0)
        {
            return 0;
        }

        GetObjectResponse response;
        try
        {
            response = await _client.GetObjectAsync(new GetObjectRequest
            {
                BucketName = _options.Bucket,
                Key = Key(name),
                ByteRange = new ByteRange(offset, offset + destination.Length - 1),
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            return 0; // at or past the end (an empty blob has no satisfiable range at all)
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new BlobNotFoundException($"No blob {name} in {Description}.", e);
        }
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException)
        {
            throw Failed("read", name, e);
        }

        using (response)
        {
            try
            {
                var total = 0;
                int n;
                while (total < destination.Length && (n = await response.ResponseStream.ReadAsync(destination[total..], cancellationToken).ConfigureAwait(false)) > 0)
                {
                    total += n;
                }

                return total;
            }
            catch (Exception e) when (e is HttpRequestException or AmazonServiceException)
            {
                throw Failed("read", name, e);
            }
        }
    }

    public async Task<long?> GetLengthAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var metadata = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = Key(name) }, cancellationToken)
                .ConfigureAwait(false);
            return metadata.ContentLength;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException)
        {
            throw Failed("look up", name, e);
        }
    }

    public async IAsyncEnumerable<BlobInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? continuation = null;
        do
        {
            var page = await Call(() => _client.ListObjectsV2Async(new ListObjectsV2Request
            {
                BucketName = _options.Bucket,
                Prefix = _prefix + prefix,
                ContinuationToken = continuation,
            }, cancellationToken), prefix + "*").ConfigureAwait(false);

            // S3 lists keys in UTF-8 byte order, which for blob names ([A-Za-z0-9._-/]) is ordinal order. The v4 SDK gives null, not
            // an empty list, for an empty page.
            foreach (var o in page.S3Objects ?? [])
            {
                yield return new BlobInfo(o.Key[_prefix.Length..], o.Size ?? 0);
            }

            continuation = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (continuation is not null);
    }

    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        // S3 answers a delete the same whether or not the object existed: ask first.
        if (await GetLengthAsync(name, cancellationToken).ConfigureAwait(false) is null)
        {
            return false;
        }

        await Call(() => _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _options.Bucket, Key = Key(name) }, cancellationToken), name)
            .ConfigureAwait(false);
        return true;
    }

    public void Dispose() => _client.Dispose();

    /// <summary>Uploads the file from disk: one PUT when it fits a part, else a multipart upload of its ranges with
    /// <see cref="FileUploadsInFlight"/> parts in flight (each read by the SDK from its offset, so nothing is buffered here).</summary>
    public async Task PutFileAsync(string name, string path, CancellationToken cancellationToken)
    {
        var key = Key(name);
        var length = new FileInfo(path).Length;
        if (length < _options.PartSize)
        {
            await Call(() => _client.PutObjectAsync(new PutObjectRequest { BucketName = _options.Bucket, Key = key, FilePath = path, UseChunkEncoding = false },
                cancellationToken), name).ConfigureAwait(false);
        }
        else
        {
            var count = (int)((length + _options.PartSize - 1) / _options.PartSize);
            await MultipartAsync(name, key, async uploadId =>
            {
                var tags = new PartETag[count];
                await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = FileUploadsInFlight, CancellationToken = cancellationToken },
                    async (i, token) =>
                    {
                        var offset = (long)i * _options.PartSize;
                        var part = await Call(() => _client.UploadPartAsync(new UploadPartRequest
                        {
                            BucketName = _options.Bucket,
                            Key = key,
                            UploadId = uploadId,
                            PartNumber = i + 1,
                            FilePath = path,
                            FilePosition = offset,
                            PartSize = Math.Min(_options.PartSize, length - offset),
                            UseChunkEncoding = false,
                        }, token), name).ConfigureAwait(false);
                        tags[i] = new PartETag(i + 1, part.ETag);
                    }).ConfigureAwait(false);
                return [.. tags];
            }, cancellationToken).ConfigureAwait(false);
        }

        File.Delete(path);
    }

    /// <summary>Part uploads of one file at once: enough to overlap one part's signing and sending with the next one's.</summary>
    private const int FileUploadsInFlight = 3;

    private Task PutMultipartAsync(string name, string key, Stream content, byte[] buffer, int filled, CancellationToken cancellationToken) =>
        MultipartAsync(name, key, async uploadId =>
        {
            var parts = new List<PartETag>();
            while (filled > 0)
            {
                var number = parts.Count + 1;
                var part = await Call(() => _client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = _options.Bucket,
                    Key = key,
                    UploadId = uploadId,
                    PartNumber = number,
                    InputStream = new MemoryStream(buffer, 0, filled, writable: false),
                    PartSize = filled,
                    UseChunkEncoding = false,
                }, cancellationToken), name).ConfigureAwait(false);
                parts.Add(new PartETag(number, part.ETag));
                filled = await FillAsync(content, buffer, cancellationToken).ConfigureAwait(false);
            }

            return parts;
        }, cancellationToken);

    /// <summary>A multipart upload whose parts <paramref name="uploadParts"/> sends: completed when it returns, aborted when it throws
    /// (so no object is made).</summary>
    private async Task MultipartAsync(string name, string key, Func<string, Task<List<PartETag>>> uploadParts, CancellationToken cancellationToken)
    {
        var upload = await Call(() => _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _options.Bucket, Key = key },
            cancellationToken), name).ConfigureAwait(false);
        try
        {
            var parts = await uploadParts(upload.UploadId).ConfigureAwait(false);
            await Call(() => _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _options.Bucket,
                Key = key,
                UploadId = upload.UploadId,
                PartETags = parts,
            }, cancellationToken), name).ConfigureAwait(false);
        }
        catch
        {
            try
            {
                await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _options.Bucket, Key = key, UploadId = upload.UploadId },
                    CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AmazonServiceException or HttpRequestException)
            {
                // The bucket's lifecycle rule for incomplete uploads (or a later abort) removes the parts; no object was made.
            }

            throw;
        }
    }

    private static async Task<int> FillAsync(Stream content, byte[] buffer, CancellationToken cancellationToken) =>
        await content.ReadAtLeastAsync(buffer.AsMemory(), buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);

    private string Key(string name)
    {
        if (name.Length == 0 || name.StartsWith('/') || name.EndsWith('/') || name.Contains("//", StringComparison.Ordinal)
            || name.Split('/').Any(s => s is "." or ".." || s.StartsWith('.') || !s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')))
        {
            throw new ArgumentException($"'{name}' is not a blob name", nameof(name));
        }

        return _prefix + name;
    }

    private async Task<T> Call<T>(Func<Task<T>> call, string name)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException)
        {
            throw Failed("write", name, e);
        }
    }

    private IOException Failed(string what, string name, Exception e) =>
        new($"could not {what} {name} in {Description}: {e.Message.Split('\n')[0]}", e);
}
