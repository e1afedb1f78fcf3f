using System.Globalization;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Lmvp.Testing.ScaleOut;

/// <summary>A real S3 server: Ceph's RADOS Gateway on a one-node Ceph cluster (one mon, one memstore OSD, no auth) in a temp
/// directory, radosgw on a free 127.0.0.1 port, with one user and one bucket.</summary>
public sealed class CephService : IDisposable
{
    /// <summary>The binaries a cluster needs.</summary>
    public static readonly string[] Binaries = ["ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "ceph", "ceph-authtool", "monmaptool"];

    private readonly List<System.Diagnostics.Process> _watchdogs = [];
    private readonly string _directory;

    private CephService(string directory)
    {
        _directory = directory;
    }

    /// <summary>http://127.0.0.1:PORT</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>The region to sign for (radosgw accepts any).</summary>
    public string Region => "us-east-1";

    /// <summary>The user's access key.</summary>
    public string AccessKey { get; private set; } = "";

    /// <summary>The user's secret key.</summary>
    public string SecretKey { get; private set; } = "";

    /// <summary>The bucket made at start.</summary>
    public string Bucket => "lmvp-test";

    /// <summary>True when every binary is installed.</summary>
    public static bool IsInstalled => Binaries.All(b => ServiceProcess.Find(b) is not null);

    /// <summary>Starts a cluster and its gateway (about two seconds); throws when a binary is missing or a step fails.</summary>
    public static CephService Start()
    {
        if (Binaries.FirstOrDefault(b => ServiceProcess.Find(b) is null) is { } missing)
        {
            throw new InvalidOperationException($"{missing} is not installed (apt-get install radosgw ceph-mon ceph-osd)");
        }

        var directory = Path.Combine(Path.GetTempPath(), $"lmvp-ceph-{Guid.NewGuid():N}");
        var service = new CephService(directory);
        try
        {
            service.Boot();
            return service;
        }
        catch
        {
            service.Dispose();
            throw;
        }
    }

    /// <summary>An S3 client for the gateway, with the settings Ceph 16.2 needs.</summary>
    public AmazonS3Client CreateClient() => new(new BasicAWSCredentials(AccessKey, SecretKey), new AmazonS3Config
    {
        ServiceURL = Endpoint,
        ForcePathStyle = true,
        AuthenticationRegion = Region,
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    /// <summary>Creates another bucket.</summary>
    public async Task CreateBucketAsync(string name)
    {
        using var client = CreateClient();
        await client.PutBucketAsync(new PutBucketRequest { BucketName = name });
    }

    public void Dispose()
    {
        // The gateway first, the OSD last: each needs the ones after it to shut down cleanly, but SIGKILL needs nothing.
        foreach (var watchdog in Enumerable.Reverse(_watchdogs))
        {
            ServiceProcess.Stop(watchdog);
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void Boot()
    {
        var d = _directory;
        foreach (var sub in new[] { "mon", "osd", "run", "log", "crash" })
        {
            Directory.CreateDirectory(Path.Combine(d, sub));
        }

        var monPort = ServiceProcess.FreePort();
        var s3Port = ServiceProcess.FreePort();
        var fsid = Guid.NewGuid().ToString();
        var conf = Path.Combine(d, "ceph.conf");
        File.WriteAllText(conf, Config(d, fsid, monPort, s3Port) + "\n");
        var c = new[] { "-c", conf };
        var log = Path.Combine(d, "log", "services.out");
        ServiceProcess.Run("ceph-authtool", null, null, ["--create-keyring", Path.Combine(d, "keyring"), "--gen-key", "-n", "mon.", "--cap", "mon", "allow *"]);
        ServiceProcess.Run("monmaptool", null, null, ["--create", "--fsid", fsid, "--addv", "a", $"[v2:127.0.0.1:{monPort}]", Path.Combine(d, "monmap")]);
        ServiceProcess.Run("ceph-mon", null, null, [.. c, "--mkfs", "-i", "a", "--monmap", Path.Combine(d, "monmap")]);
        _watchdogs.Add(ServiceProcess.StartWatched(log, null, "ceph-mon", [.. c, "-i", "a", "-f"]));

        // The monitor answers before `osd new` (which must not be retried blindly) is sent, and a monitor that exited is said so
        // at once: `osd new` alone waited its 30 s and said only "timed out" when the monitor had refused to start.
        WaitFor(() => Answers([.. c, "--connect-timeout", "10", "mon", "stat"]), "the monitor to answer", log);
        var osdUuid = Guid.NewGuid().ToString();
        var id = ServiceProcess.Run("ceph", null, null, [.. c, "--connect-timeout", "30", "osd", "new", osdUuid]).Trim();
        Directory.CreateDirectory(Path.Combine(d, "osd", "osd." + id));
        ServiceProcess.Run("ceph-osd", null, null, [.. c, "-i", id, "--mkfs", "--osd-uuid", osdUuid]);
        _watchdogs.Add(ServiceProcess.StartWatched(log, null, "ceph-osd", [.. c, "-i", id, "-f"]));
        WaitFor(() => ServiceProcess.Run("ceph", null, null, [.. c, "--connect-timeout", "10", "osd", "stat"]).Contains(" 1 up", StringComparison.Ordinal), "the OSD to come up", log);

        _watchdogs.Add(ServiceProcess.StartWatched(log, null, "radosgw", [.. c, "-n", "client.rgw.a", "-f"]));
        Endpoint = $"http://127.0.0.1:{s3Port.ToString(CultureInfo.InvariantCulture)}";
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
        {
            WaitFor(() =>
            {
                try
                {
                    return http.GetAsync(Endpoint).GetAwaiter().GetResult().IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
                catch (TaskCanceledException)
                {
                    return false;
                }
            }, "radosgw to serve", log);
        }

        AccessKey = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(10));
        SecretKey = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20)).ToLowerInvariant();
        ServiceProcess.Run("radosgw-admin", null, null, [.. c, "user", "create", "--uid=lmvp", "--display-name=lmvp", $"--access-key={AccessKey}", $"--secret-key={SecretKey}"]);
        CreateBucketAsync(Bucket).GetAwaiter().GetResult();
    }

    /// <summary>The last lines of a log, on one line; empty when there is none.</summary>
    private static string Tail(string path) =>
        File.Exists(path) ? string.Join(" / ", File.ReadLines(path).Where(l => l.Length > 0).TakeLast(3)) : "";

    /// <summary>True when a ceph command succeeds; false when it fails or times out.</summary>
    private static bool Answers(string[] args)
    {
        try
        {
            ServiceProcess.Run("ceph", null, null, args);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private void WaitFor(Func<bool> condition, string what, string log)
    {
        try
        {
            // A check runs the ceph command line (a Python program) or an HTTP request: 100 ms apart, not 10.
            Poll.Until(condition, what, TimeSpan.FromSeconds(90), giveUp: () => _watchdogs.Any(w => w.HasExited), between: TimeSpan.FromMilliseconds(100));
        }
        catch (TimeoutException e)
        {
            // The directory goes when the service is disposed, so what the daemons said last goes into the message.
            throw new InvalidOperationException($"Ceph: gave up waiting for {what}; the logs end with: "
                + $"{Tail(log)} | ceph-mon: {Tail(Path.Combine(_directory, "log", "mon.a.log"))}", e);
        }
    }

    /// <remarks>The monitor's store is a few megabytes, so it may start on a file system under 5% free (its default floor, below
    /// which it exits at once: a clean-clone run here failed so on a disk left 86% full); the OSD keeps its data in memory.</remarks>
    private static string Config(string d, string fsid, int monPort, int s3Port) => $"""
        [global]
        fsid = {fsid}
        mon host = [v2:127.0.0.1:{monPort}]
        public addr = 127.0.0.1
        ms bind msgr1 = false
        auth cluster required = none
        auth service required = none
        auth client required = none
        ms mon client mode = crc
        ms mon service mode = crc
        ms mon cluster mode = crc
        ms client mode = crc
        ms service mode = crc
        ms cluster mode = crc
        mon warn on insecure global id reclaim allowed = false
        paxos propose interval = 0.05
        paxos min wait = 0.01
        run dir = {d}/run
        admin socket = {d}/run/$name.asok
        log file = {d}/log/$name.log
        mon cluster log file = {d}/log/ceph.$channel.log
        crash dir = {d}/crash
        keyring = {d}/keyring
        mon data = {d}/mon/$name
        osd data = {d}/osd/$name
        osd objectstore = memstore
        memstore device bytes = 6442450944
        osd memory target = 1073741824
        osd pool default size = 1
        osd pool default min size = 1
        osd pool default pg num = 8
        osd pool default pgp num = 8
        osd pool default pg autoscale mode = off
        mon allow pool size one = true
        mon allow pool delete = true
        mon max pg per osd = 1000
        mon warn on pool no redundancy = false
        mon data avail crit = 1
        osd crush chooseleaf type = 0
        osd op num shards = 1
        osd op num threads per shard = 2
        rgw frontends = beast endpoint=127.0.0.1:{s3Port} tcp_nodelay=1
        rgw thread pool size = 128
        rgw dns name = localhost
        """;
}
