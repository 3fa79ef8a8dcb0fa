using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Colo.Differential.Tests.Scenarios;

namespace Colo.Differential.Tests.Harness;

/// <summary>
/// Drives one comparator (QEMU or ColoProxy, same code) over its four sockets: sends a scenario's frames in the
/// scenario's interleaving, waits after each step until the comparator has read both inputs up to that point
/// (a <see cref="ControlFrames.Barrier"/>), answers the first <c>DO_CHECKPOINT</c> with <c>COLO_CHECKPOINT</c> and
/// records what was released before and flushed by it.
/// </summary>
internal sealed class ComparatorHarness : IAsyncDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);
    private static readonly byte[] DoCheckpoint = "DO_CHECKPOINT"u8.ToArray();
    private static readonly byte[] ColoCheckpoint = "COLO_CHECKPOINT"u8.ToArray();

    private readonly ComparatorProcess _process;
    private readonly FramedConnection _outdev;
    private readonly Socket _notify;
    private readonly FramedConnection _primary;
    private readonly FramedConnection _secondary;
    private readonly byte[] _notifyBuffer = new byte[4096];
    private readonly TimeSpan _notifyGrace;
    private readonly ControlProbe? _probe;
    private int _notifyFilled;
    private long _controlId;

    private ComparatorHarness(
        ComparatorProcess process, FramedConnection outdev, Socket notify, FramedConnection primary,
        FramedConnection secondary, TimeSpan notifyGrace, ControlProbe? probe)
    {
        _probe = probe;
        _process = process;
        _outdev = outdev;
        _notify = notify;
        _primary = primary;
        _secondary = secondary;
        _notifyGrace = notifyGrace;
    }

    public string Name => _process.Name;

    public string Diagnostics => _process.Diagnostics;

    /// <summary>
    /// Starts the comparator and connects outdev and notify first (QEMU drops frames released while outdev has no
    /// client), then both inputs; returns once a barrier went through.
    /// </summary>
    /// <param name="notifyGrace">How long to wait for a checkpoint request after each barrier (0 when the
    /// comparator writes <c>DO_CHECKPOINT</c> before it releases later frames, as QEMU does).</param>
    public static async Task<ComparatorHarness> StartAsync(Func<ComparatorProcess> start, TimeSpan notifyGrace)
    {
        var process = start();
        try
        {
            var vnet = process.VnetHeaderLength;
            var outdev = await FramedConnection.ConnectAsync(process.Outdev, "outdev", ConnectTimeout, vnet).ConfigureAwait(false);
            var notify = await ConnectRawAsync(process.Notify).ConfigureAwait(false);
            var primary = await FramedConnection.ConnectAsync(process.PrimaryIn, "primary_in", ConnectTimeout, vnet).ConfigureAwait(false);
            var secondary = await FramedConnection.ConnectAsync(process.SecondaryIn, "secondary_in", ConnectTimeout, vnet).ConfigureAwait(false);
            var probe = process.Control is null ? null : await ControlProbe.ConnectAsync(process.Control, ConnectTimeout).ConfigureAwait(false);
            var harness = new ComparatorHarness(process, outdev, notify, primary, secondary, notifyGrace, probe);
            await harness.SynchronizeAsync().ConfigureAwait(false);
            return harness;
        }
        catch (Exception ex) when (ex is SocketException or HarnessException or TimeoutException)
        {
            var diagnostics = process.Diagnostics;
            await process.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"{process.Name} did not come up: {ex.Message}\n{diagnostics}", ex);
        }
    }

    /// <summary>Runs one scenario; <paramref name="settle"/> is a wait at the end that catches timeout checkpoints.</summary>
    public async Task<Outcome> RunAsync(Scenario scenario, TimeSpan settle = default)
    {
        var outcome = new Outcome(Name);
        var frames = new Dictionary<string, Queue<int>>(StringComparer.Ordinal);
        for (var i = 0; i < scenario.Steps.Count; i++)
        {
            var step = scenario.Steps[i];
            if (step.Side != Side.Primary)
                continue;
            var key = Convert.ToHexString(step.Frame);
            if (!frames.TryGetValue(key, out var queue))
                frames[key] = queue = new Queue<int>();
            queue.Enqueue(i);
        }

        DrainNotify(TimeSpan.Zero); // stale repeats from an earlier scenario
        var clock = Stopwatch.StartNew();
        var lastStep = -1;
        for (var i = 0; i < scenario.Steps.Count; i++)
        {
            var step = scenario.Steps[i];
            (step.Side == Side.Primary ? _primary : _secondary).Send(step.Frame);
            outcome.StepsSent = i + 1;
            lastStep = i;
            var last = i == scenario.Steps.Count - 1;
            if (!scenario.BarrierEveryStep && !last && scenario.Steps[i + 1].Side == step.Side)
                continue;

            await BarrierAsync(i, outcome.Released, scenario, frames).ConfigureAwait(false);
            var requests = DrainNotify(_notifyGrace);
            if (requests == 0 && _probe is not null && _probe.CheckpointOutstanding())
            {
                requests = DrainNotify(AnswerTimeout);
                if (requests == 0)
                    throw new HarnessException($"{Name}: a checkpoint request is outstanding but no DO_CHECKPOINT arrived on notify_dev.");
            }

            if (requests > 0)
            {
                outcome.CheckpointRequests += requests;
                outcome.CheckpointStep = i;
                outcome.CheckpointAfter = clock.Elapsed;
                break;
            }
        }

        if (outcome.CheckpointStep is null && settle > TimeSpan.Zero)
        {
            var requests = DrainNotify(settle);
            outcome.LateCheckpointRequests = requests;
            outcome.CheckpointRequests += requests;
        }

        await CheckpointAsync(lastStep, outcome.Released, outcome.Flushed, scenario, frames).ConfigureAwait(false);
        outcome.CheckpointRequests += DrainNotify(TimeSpan.Zero);
        return outcome;
    }

    private async Task SynchronizeAsync()
    {
        // A barrier released before QEMU accepted outdev is lost: try until one arrives.
        var deadline = DateTime.UtcNow + ConnectTimeout;
        while (true)
        {
            try
            {
                await BarrierAsync(-1, [], null, null, TimeSpan.FromMilliseconds(500)).ConfigureAwait(false);
                DrainNotify(TimeSpan.Zero);
                return;
            }
            catch (TimeoutException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
            }
        }
    }

    private async Task CheckpointAsync(
        int afterStep, List<Release> released, List<Release> flushed, Scenario scenario, Dictionary<string, Queue<int>> frames)
    {
        var markerId = ++_controlId;
        _primary.Send(ControlFrames.Create(ControlFrames.Marker, markerId));
        await BarrierAsync(afterStep, released, scenario, frames).ConfigureAwait(false);
        SendNotify(ColoCheckpoint);
        await ReadUntilAsync(ControlFrames.Marker, markerId, afterStep, flushed, scenario, frames, AnswerTimeout)
            .ConfigureAwait(false);
        await BarrierAsync(afterStep, flushed, scenario, frames).ConfigureAwait(false);
    }

    private Task BarrierAsync(
        int afterStep, List<Release> into, Scenario? scenario, Dictionary<string, Queue<int>>? frames, TimeSpan? timeout = null)
    {
        var id = ++_controlId;
        var frame = ControlFrames.Create(ControlFrames.Barrier, id);
        _secondary.Send(frame);
        _primary.Send(frame);
        return ReadUntilAsync(ControlFrames.Barrier, id, afterStep, into, scenario, frames, timeout ?? AnswerTimeout);
    }

    private async Task ReadUntilAsync(
        byte kind, long id, int afterStep, List<Release> into, Scenario? scenario,
        Dictionary<string, Queue<int>>? frames, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            byte[] frame;
            try
            {
                frame = await _outdev.Received.ReadAsync(cancel.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException(
                    $"{Name}: no {(char)kind} {id} on outdev within {timeout.TotalMilliseconds} ms after step {afterStep}.");
            }
            catch (Exception ex) when (ex is SocketException or InvalidDataException or System.Threading.Channels.ChannelClosedException)
            {
                throw new HarnessException($"{Name}: outdev failed: {ex.Message}", ex);
            }

            if (ControlFrames.TryRead(frame, out var gotKind, out var gotId))
            {
                if (gotKind == kind && gotId == id)
                    return;
                continue; // an older barrier (a retry) or a marker the flush already passed
            }

            var primaryStep = -1;
            if (frames is not null && frames.TryGetValue(Convert.ToHexString(frame), out var queue) && queue.Count > 0)
                primaryStep = queue.Dequeue();
            var flow = primaryStep >= 0 && scenario is not null ? scenario.Steps[primaryStep].Flow : -1;
            into.Add(new Release(afterStep, primaryStep, flow));
        }
    }

    private void SendNotify(ReadOnlySpan<byte> text)
    {
        // Xen's libxl sends no vnet word; QEMU with vnet_hdr_support insists on one (docs/compatibility.md, C11).
        var prefix = _process.NotifyTakesVnetWord ? 8 : 4;
        var buffer = new byte[prefix + text.Length];
        BinaryPrimitives.WriteUInt32BigEndian(buffer, (uint)text.Length);
        text.CopyTo(buffer.AsSpan(prefix));
        _notify.Send(buffer);
    }

    /// <summary>Reads what the comparator wrote on notify; returns the number of <c>DO_CHECKPOINT</c>s.</summary>
    private int DrainNotify(TimeSpan wait)
    {
        var count = 0;
        var deadline = Stopwatch.GetTimestamp() + (long)(wait.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var remaining = deadline - Stopwatch.GetTimestamp();
            var micros = count > 0 || remaining <= 0 ? 0 : (int)(remaining * 1_000_000 / Stopwatch.Frequency);
            if (!_notify.Poll(micros, SelectMode.SelectRead))
                return count;
            var read = _notify.Receive(_notifyBuffer, _notifyFilled, _notifyBuffer.Length - _notifyFilled, SocketFlags.None);
            if (read == 0)
                throw new HarnessException($"{Name}: notify_dev closed.");
            _notifyFilled += read;
            var consumed = 0;
            while (_notifyFilled - consumed >= 4)
            {
                var length = (int)BinaryPrimitives.ReadUInt32BigEndian(_notifyBuffer.AsSpan(consumed));
                if (length > 256)
                    throw new HarnessException($"{Name}: notify_dev frame of {length} bytes; stream out of sync.");
                if (_notifyFilled - consumed < 4 + length)
                    break;
                var message = _notifyBuffer.AsSpan(consumed + 4, length);
                if (message.SequenceEqual(DoCheckpoint))
                    count++;
                else if (!message.SequenceEqual("COLO_COMPARE_GET_XEN_INIT"u8))
                    throw new HarnessException($"{Name}: unexpected notify message '{Encoding.ASCII.GetString(message)}'.");
                consumed += 4 + length;
            }

            _notifyBuffer.AsSpan(consumed, _notifyFilled - consumed).CopyTo(_notifyBuffer);
            _notifyFilled -= consumed;
        }
    }

    private static async Task<Socket> ConnectRawAsync(string path)
    {
        var deadline = DateTime.UtcNow + ConnectTimeout;
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path)).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                socket.Dispose();
                await Task.Delay(20).ConfigureAwait(false);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _primary.DisposeAsync().ConfigureAwait(false);
        await _secondary.DisposeAsync().ConfigureAwait(false);
        _notify.Dispose();
        _probe?.Dispose();
        await _outdev.DisposeAsync().ConfigureAwait(false);
        await _process.DisposeAsync().ConfigureAwait(false);
    }
}
