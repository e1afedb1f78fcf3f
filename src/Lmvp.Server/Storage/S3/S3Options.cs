namespace Lmvp.Server.Storage.S3;

/// <summary>Where an S3-compatible bucket is and how to sign in to it; what is not given comes from the standard AWS
/// environment variables.</summary>
/// <param name="Bucket">The bucket (it must exist).</param>
/// <param name="Prefix">A key prefix every blob name is put under ("" for none; no leading or trailing '/').</param>
/// <param name="Endpoint">The service URL (http://127.0.0.1:7480); null for AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL.</param>
/// <param name="Region">The region to sign for; null for AWS_REGION or AWS_DEFAULT_REGION, else us-east-1.</param>
/// <param name="AccessKey">The access key id; null for AWS_ACCESS_KEY_ID.</param>
/// <param name="SecretKey">The secret key; null for AWS_SECRET_ACCESS_KEY.</param>
internal sealed record S3Options(string Bucket, string Prefix, string? Endpoint, string? Region, string? AccessKey, string? SecretKey)
{
    /// <summary>The part size of a multipart upload, and the largest blob put in one request.</summary>
    public int PartSize { get; init; } = 16 << 20;

    /// <summary>Parses <c>s3://BUCKET</c> or <c>s3://BUCKET/PREFIX</c>; null when <paramref name="location"/> is not an s3:// URL.</summary>
    /// <exception cref="ArgumentException">It is an s3:// URL without a valid bucket.</exception>
    public static S3Options? TryParse(string location, string? endpoint, string? region, string? accessKey, string? secretKey)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (!location.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var rest = location["s3://".Length..].Trim('/');
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..];
        if (bucket.Length is < 3 or > 63 || !bucket.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.'))
        {
            throw new ArgumentException($"'{location}' names no valid bucket: expected s3://BUCKET[/PREFIX], BUCKET 3-63 of [a-z0-9.-]");
        }

        return new S3Options(bucket, prefix, endpoint, region, accessKey, secretKey);
    }

    /// <summary>These options with every missing value filled from the environment.</summary>
    /// <exception cref="ArgumentException">No credentials were given either way.</exception>
    public S3Options Resolve(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var access = AccessKey ?? environment("AWS_ACCESS_KEY_ID");
        var secret = SecretKey ?? environment("AWS_SECRET_ACCESS_KEY");
        if (string.IsNullOrEmpty(access) || string.IsNullOrEmpty(secret))
        {
            throw new ArgumentException("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or --s3-access-key and --s3-secret-key-file)");
        }

        return this with
        {
            Endpoint = Endpoint ?? NonEmpty(environment("AWS_ENDPOINT_URL_S3")) ?? NonEmpty(environment("AWS_ENDPOINT_URL")),
            Region = Region ?? NonEmpty(environment("AWS_REGION")) ?? NonEmpty(environment("AWS_DEFAULT_REGION")) ?? "us-east-1",
            AccessKey = access,
            SecretKey = secret,
        };
    }

    /// <summary>For messages: the bucket and prefix, never a key.</summary>
    public override string ToString() => $"s3://{Bucket}{(Prefix.Length > 0 ? "/" + Prefix : "")}{(Endpoint is null ? "" : " at " + Endpoint)}";

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
