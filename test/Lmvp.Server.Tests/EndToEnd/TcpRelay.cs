using System.Net;
using System.Net.Sockets;

namespace Lmvp.Server.Tests.EndToEnd;

/// <summary>A TCP forwarder between a client and a server on loopback that counts every byte each way (HTTP headers
/// included) and can throttle, cut connections, or run an action once a byte count is crossed (to kill a client half-way).</summary>
internal sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly object _lock = new();
    private readonly List<(long Threshold, bool Upstream, bool Hold, Action Action)> _triggers = [];
    private long _upstream;
    private long _downstream;
    private long _cutAfter = -1;
    private long _corruptAt = -1;
    private volatile TaskCompletionSource? _gate;
    private volatile TaskCompletionSource<bool>? _hold;
    private volatile bool _holdUpstream;

    public TcpRelay(int targetPort)
    {
        _targetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _acceptLoop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Bytes from clients to the server so far.</summary>
    public long Upstream => Interlocked.Read(ref _upstream);

    /// <summary>Bytes from the server to clients so far.</summary>
    public long Downstream => Interlocked.Read(ref _downstream);

    /// <summary>Client-to-server bandwidth in bytes per second; 0 is unlimited.</summary>
    public long UpstreamBytesPerSecond { get; set; }

    /// <summary>Server-to-client bandwidth in bytes per second; 0 is unlimited.</summary>
    public long DownstreamBytesPerSecond { get; set; }

    public void ResetCounters()
    {
        Interlocked.Exchange(ref _upstream, 0);
        Interlocked.Exchange(ref _downstream, 0);
    }

    /// <summary>Runs <paramref name="action"/> once, as soon as the counter of that direction reaches <paramref name="threshold"/>.</summary>
    public void When(bool upstream, long threshold, Action action)
    {
        lock (_lock)
        {
            _triggers.Add((threshold, upstream, false, action));
        }
    }

    /// <summary>Once <paramref name="threshold"/> bytes went that way, lets no further byte pass that way on any connection, then runs
    /// <paramref name="action"/> (a kill "half-way" that cannot land after the transfer finished, however slow the machine).</summary>
    /// <remarks><see cref="CutHeld"/> ends the hold: every connection held is reset, so nothing held reaches the other side.</remarks>
    public void HoldWhen(bool upstream, long threshold, Action action)
    {
        lock (_lock)
        {
            _triggers.Add((threshold, upstream, true, action));
        }
    }

    /// <summary>Ends a hold: the connections it held are reset, new ones pass freely.</summary>
    public void CutHeld()
    {
        _hold?.TrySetResult(true);
        _hold = null;
    }

    /// <summary>Holds every byte from clients to the server until <see cref="Resume"/> (connections stay open).</summary>
    public void Pause() => _gate ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets held bytes through again.</summary>
    public void Resume()
    {
        _gate?.TrySetResult();
        _gate = null;
    }

    /// <summary>Flips one byte of what the server sends, at <paramref name="offset"/> of the downstream count, once.</summary>
    public void CorruptDownstreamAt(long offset) => Interlocked.Exchange(ref _corruptAt, offset);

    /// <summary>Resets (RST) the next connection that carries more than <paramref name="bytes"/> upstream, once.</summary>
    public void CutNextConnectionAfter(long bytes) => Interlocked.Exchange(ref _cutAfter, bytes);

    public async ValueTask DisposeAsync()
    {
        Resume();
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var clientSocket = client;
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            Reset(client);
            return;
        }

        var connectionUpstream = 0L;
        var cutAt = Interlocked.Exchange(ref _cutAfter, -1);
        using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var up = PumpAsync(client, server, upstream: true, n =>
        {
            connectionUpstream += n;
            return cutAt >= 0 && connectionUpstream > cutAt;
        }, done.Token);
        var down = PumpAsync(server, client, upstream: false, _ => false, done.Token);
        await Task.WhenAny(up, down);
        var cut = (up.IsCompletedSuccessfully && up.Result) || (down.IsCompletedSuccessfully && down.Result) || (cutAt >= 0 && connectionUpstream > cutAt);
        if (cut)
        {
            Reset(client);
            Reset(server);
        }
        else
        {
            // One side finished: let the other drain briefly, then close both.
            await Task.WhenAny(Task.WhenAll(up, down), Task.Delay(TimeSpan.FromSeconds(30)));
        }

        await done.CancelAsync();
        try
        {
            await Task.WhenAll(up, down);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Copies one direction; true when it stopped because the connection was to be cut.</summary>
    private async Task<bool> PumpAsync(Socket from, Socket to, bool upstream, Func<int, bool> shouldCut, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long moved = 0;
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (n == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return false;
                }

                if (shouldCut(n))
                {
                    return true;
                }

                if (upstream && _gate is { } gate)
                {
                    await gate.Task.WaitAsync(cancellationToken);
                }

                if (_hold is { } hold && _holdUpstream == upstream && await hold.Task.WaitAsync(cancellationToken))
                {
                    return true; // held past the threshold, then cut: these bytes never arrive
                }

                var rate = upstream ? UpstreamBytesPerSecond : DownstreamBytesPerSecond;
                moved += n;
                if (rate > 0)
                {
                    var due = TimeSpan.FromSeconds((double)moved / rate) - clock.Elapsed;
                    if (due > TimeSpan.Zero)
                    {
                        await Task.Delay(due, cancellationToken);
                    }
                }

                if (!upstream && Interlocked.Read(ref _corruptAt) is var at && at >= 0)
                {
                    var before = Interlocked.Read(ref _downstream);
                    if (at >= before && at < before + n && Interlocked.CompareExchange(ref _corruptAt, -1, at) == at)
                    {
                        buffer[at - before] ^= 0x5A;
                    }
                }

                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, cancellationToken);
                var total = upstream ? Interlocked.Add(ref _upstream, n) : Interlocked.Add(ref _downstream, n);
                Fire(upstream, total);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            return false;
        }
    }

    private void Fire(bool upstream, long total)
    {
        List<Action>? due = null;
        lock (_lock)
        {
            for (var i = _triggers.Count - 1; i >= 0; i--)
            {
                if (_triggers[i].Upstream == upstream && total >= _triggers[i].Threshold)
                {
                    if (_triggers[i].Hold)
                    {
                        _holdUpstream = upstream;
                        _hold ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    }

                    (due ??= []).Add(_triggers[i].Action);
                    _triggers.RemoveAt(i);
                }
            }
        }

        foreach (var action in due ?? [])
        {
            action();
        }
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }
}
