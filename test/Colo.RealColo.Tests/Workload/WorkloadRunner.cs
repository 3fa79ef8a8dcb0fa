using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Colo.RealColo.Tests.Guest;

namespace Colo.RealColo.Tests.Workload;

/// <summary>
/// The same client workload for every mode: sequential 1 MiB downloads (sha256-checked; enough of them for a stable
/// median), many short GETs, a long interactive echo session with varied line sizes (below, at and above one MSS),
/// parallel downloads, a burst of short connections, and connections the guest initiates.
/// </summary>
internal sealed class WorkloadRunner(GuestClient client, string blobSha256, Stopwatch clock, Action<string> log)
{
    public const int Downloads = 15;
    public const int Pages = 40;
    public const int EchoLines = 200;
    public const int ParallelRounds = 2;
    public const int ParallelWidth = 4;
    public const int BurstWidth = 30;
    public const int GuestDials = 2;

    private static readonly TimeSpan EchoThinkTime = TimeSpan.FromMilliseconds(30);

    // Line lengths around the MSS (1460) and the 64 KiB mark of a single segment, plus tiny interactive ones.
    private static readonly int[] EchoLineLengths = [1, 2, 17, 64, 100, 300, 1000, 1459, 1460, 1461, 2920, 4000, 9000, 20000];

    /// <summary>
    /// Settles ARP, the first connections' costs and the comparator's code paths outside any measurement: the
    /// workload measures a comparator in its steady state, as a long-running one is.
    /// </summary>
    public async Task WarmUpAsync(WorkloadResult result)
    {
        for (var i = 0; i < 5; i++)
            await PageAsync(result, $"warm-up GET {i}", record: false).ConfigureAwait(false);
        for (var i = 0; i < 3; i++)
            await DownloadAsync(result, $"warm-up download {i}", record: false).ConfigureAwait(false);
    }

    public async Task<WorkloadResult> RunAsync(string label)
    {
        var result = new WorkloadResult { StartedAt = clock.Elapsed.TotalSeconds };
        for (var i = 0; i < Downloads; i++)
            await DownloadAsync(result, $"download {i}", record: true).ConfigureAwait(false);
        for (var i = 0; i < Pages; i++)
            await PageAsync(result, $"GET {i}", record: true).ConfigureAwait(false);
        await EchoSessionAsync(result, EchoLines, "echo session").ConfigureAwait(false);
        for (var round = 0; round < ParallelRounds; round++)
        {
            var r = round;
            await Task.WhenAll(Enumerable.Range(0, ParallelWidth)
                .Select(i => DownloadAsync(result, $"parallel download {r}.{i}", record: false))).ConfigureAwait(false);
        }
        await Task.WhenAll(Enumerable.Range(0, BurstWidth).Select(i => PageAsync(result, $"burst GET {i}", record: false))).ConfigureAwait(false);
        for (var i = 0; i < GuestDials; i++)
            await GuestDialAsync(result, $"guest-initiated connection {i}").ConfigureAwait(false);
        result.EndedAt = clock.Elapsed.TotalSeconds;
        log($"{label}: workload {result.IntactTransfers}/{result.Transfers} intact in {result.EndedAt - result.StartedAt:F1} s");
        return result;
    }

    /// <summary>After the failover: the client must keep working on the primary alone.</summary>
    public async Task<WorkloadResult> RunAfterFailoverAsync()
    {
        var result = new WorkloadResult { StartedAt = clock.Elapsed.TotalSeconds };
        for (var i = 0; i < 3; i++)
            await DownloadAsync(result, $"download after failover {i}", record: false).ConfigureAwait(false);
        for (var i = 0; i < 10; i++)
            await PageAsync(result, $"GET after failover {i}", record: false).ConfigureAwait(false);
        await EchoSessionAsync(result, 20, "echo after failover").ConfigureAwait(false);
        await GuestDialAsync(result, "guest-initiated connection after failover").ConfigureAwait(false);
        result.EndedAt = clock.Elapsed.TotalSeconds;
        return result;
    }

    public async Task DownloadAsync(WorkloadResult result, string what, bool record)
    {
        try
        {
            var response = await client.GetAsync(GuestImage.BlobPath).ConfigureAwait(false);
            var sha = Convert.ToHexString(SHA256.HashData(response.Body)).ToLowerInvariant();
            var intact = response.StatusLine.Contains(" 200", StringComparison.Ordinal) && sha == blobSha256;
            result.Record(intact, $"{what}: {response.StatusLine}, {response.Body.Length} bytes, sha256 {sha}");
            if (intact && record)
            {
                lock (result.DownloadSeconds)
                    result.DownloadSeconds.Add(response.Seconds);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            result.Record(false, $"{what}: {e.GetType().Name} {e.Message}");
        }
    }

    public async Task PageAsync(WorkloadResult result, string what, bool record)
    {
        try
        {
            var response = await client.GetAsync(GuestImage.PagePath).ConfigureAwait(false);
            var intact = response.StatusLine.Contains(" 200", StringComparison.Ordinal)
                && Encoding.ASCII.GetString(response.Body).Contains(GuestImage.PageText, StringComparison.Ordinal);
            result.Record(intact, $"{what}: {response.StatusLine}, {response.Body.Length} bytes");
            if (intact && record)
            {
                lock (result.PageSeconds)
                    result.PageSeconds.Add(response.Seconds);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            result.Record(false, $"{what}: {e.GetType().Name} {e.Message}");
        }
    }

    /// <summary>One connection, one line at a time with think time between, each echo checked byte for byte.</summary>
    public async Task EchoSessionAsync(WorkloadResult result, int lines, string what)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var n = 0;
        try
        {
            using var socket = await client.ConnectEchoAsync(timeout.Token).ConfigureAwait(false);
            var buffer = new byte[64 * 1024];
            for (; n < lines; n++)
            {
                var line = EchoLine(n);
                var clockLine = Stopwatch.StartNew();
                await socket.SendAsync(line, timeout.Token).ConfigureAwait(false);
                var back = new MemoryStream(line.Length);
                while (back.Length < line.Length)
                {
                    var read = await socket.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, line.Length - back.Length)), timeout.Token).ConfigureAwait(false);
                    if (read == 0)
                        throw new IOException($"the echo closed after {back.Length} of {line.Length} bytes");
                    back.Write(buffer, 0, read);
                }
                var rtt = clockLine.Elapsed.TotalSeconds;
                var intact = back.ToArray().AsSpan().SequenceEqual(line);
                result.Record(intact, $"{what} line {n} ({line.Length} bytes) came back different");
                if (intact)
                {
                    lock (result.EchoRoundTripSeconds)
                        result.EchoRoundTripSeconds.Add(rtt);
                }
                await Task.Delay(EchoThinkTime, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            result.Record(false, $"{what} at line {n}: {e.GetType().Name} {e.Message}");
        }
    }

    /// <summary>The guest's CGI connects back to the client and sends a line; then the HTTP answer says how nc exited.</summary>
    public async Task GuestDialAsync(WorkloadResult result, string what)
    {
        try
        {
            using var listener = await client.ListenForGuestAsync().ConfigureAwait(false);
            using var timeout = new CancellationTokenSource(GuestClient.RequestTimeout);
            var request = client.GetAsync(GuestImage.DialPath);
            using var dialed = await listener.AcceptAsync(timeout.Token).ConfigureAwait(false);
            var line = new MemoryStream();
            var buffer = new byte[256];
            int read;
            while (!line.ToArray().Contains((byte)'\n') && (read = await dialed.ReceiveAsync(buffer, timeout.Token).ConfigureAwait(false)) > 0)
                line.Write(buffer, 0, read);
            dialed.Shutdown(SocketShutdown.Both);
            var text = Encoding.ASCII.GetString(line.ToArray()).TrimEnd('\n');
            var response = await request.WaitAsync(timeout.Token).ConfigureAwait(false);
            var body = Encoding.ASCII.GetString(response.Body).Trim();
            result.Record(text == GuestImage.DialLine && body == "dialed 0",
                $"{what}: the guest sent '{text}', HTTP {response.StatusLine} '{body}'");
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            result.Record(false, $"{what}: {e.GetType().Name} {e.Message}");
        }
    }

    private static byte[] EchoLine(int n)
    {
        var length = EchoLineLengths[n % EchoLineLengths.Length];
        var line = new byte[length];
        for (var i = 0; i < length - 1; i++)
            line[i] = (byte)('a' + (n + i) % 26);
        line[^1] = (byte)'\n';
        return line;
    }
}
