using System.Buffers.Binary;
using Colo.Compare;
using Colo.Packets.Frames;
using Colo.Proxy.Framing;

namespace Colo.Proxy.Hosting;

/// <summary>
/// Receives one side's frames from a connection. With one worker, each read is handed to the engine in place
/// (<see cref="EngineWorker.BeginRead"/> when the read starts, each frame straight from the receive buffer,
/// <see cref="EngineWorker.EndRead"/> when it is done). Otherwise frames are
/// copied into batches per engine shard: flows are spread by address pair, protocol and VLAN ids (not ports: IP
/// fragments carry none and must reach the shard of their flow); non-IP and malformed frames go to shard 0. Each
/// shard's batches are posted in arrival order.
/// </summary>
internal sealed class InputHandler : IFrameHandler
{
    private readonly Side _side;
    private readonly EngineWorker[] _workers;
    private readonly EngineWorker? _inPlace;
    private readonly FrameBatch?[] _current;
    private readonly List<(int Shard, FrameBatch Batch)> _full = new(16);
    private readonly InputStats _stats;

    // Between OnReadStarted and OnReadCompletedAsync: the in-place worker's engine lock is held by this thread.
    private bool _inRead;

    public InputHandler(Side side, EngineWorker[] workers, InputStats stats)
    {
        _side = side;
        _stats = stats;
        _workers = workers;
        _inPlace = workers is [{ ReadsInPlace: true } only] ? only : null;
        _current = new FrameBatch?[workers.Length];
    }

    public void OnReadStarted()
    {
        if (_inPlace is { } worker)
            _inRead = worker.BeginRead();
    }

    public void OnFrame(ReadOnlySpan<byte> frame, int vnetHeaderLength)
    {
        // One connection per side at a time: a single writer.
        Volatile.Write(ref _stats.Frames, _stats.Frames + 1);
        if (_inPlace is { } worker)
        {
            // Not in a read: shutting down, the frame is not compared.
            if (_inRead)
                worker.IngestInRead(_side, frame, vnetHeaderLength);
            return;
        }
        int shard = _workers.Length == 1 ? 0 : ShardOf(frame, vnetHeaderLength, _workers.Length);
        FrameBatch batch = _current[shard] ??= FrameBatch.Rent(_side);
        if (!batch.TryAdd(frame, vnetHeaderLength))
        {
            _full.Add((shard, batch));
            batch = _current[shard] = FrameBatch.Rent(_side);
            batch.TryAdd(frame, vnetHeaderLength);
        }
    }

    public ValueTask OnReadCompletedAsync(CancellationToken cancellationToken)
    {
        if (_inPlace is { } inPlace)
        {
            if (_inRead)
            {
                _inRead = false;
                inPlace.EndRead();
            }
            // Outdev lags, or the engine is over its memory cap: read nothing more until that passes.
            inPlace.Output.WaitForSpace(cancellationToken);
            if (_side == Side.Primary)
                inPlace.WaitBelowMemoryCap(cancellationToken);
            return ValueTask.CompletedTask;
        }
        // Memory cap: the primary stops being read while a shard is over it (primary frames are never dropped).
        if (_side == Side.Primary)
        {
            foreach (EngineWorker worker in _workers)
                worker.WaitBelowMemoryCap(cancellationToken);
        }
        // A batch is forgotten only once handed over: if a wait is cancelled, Reset returns the rest to the pool.
        int posted = 0;
        try
        {
            for (; posted < _full.Count; posted++)
                _workers[_full[posted].Shard].Post(_full[posted].Batch, cancellationToken);
        }
        finally
        {
            _full.RemoveRange(0, posted);
        }
        for (int shard = 0; shard < _current.Length; shard++)
        {
            if (_current[shard] is { } batch)
            {
                _workers[shard].Post(batch, cancellationToken);
                _current[shard] = null;
            }
        }
        // Batches this thread ingested itself released frames: send them from here, then read nothing more while
        // outdev lags.
        OutputBuffer output = _workers[0].Output;
        output.Flush();
        output.WaitForSpace(cancellationToken);
        return ValueTask.CompletedTask;
    }

    /// <summary>Returns unposted batches to the pool (the connection ended before they could be handed over).</summary>
    public void Reset()
    {
        foreach ((_, FrameBatch batch) in _full)
            FrameBatch.Return(batch);
        _full.Clear();
        for (int shard = 0; shard < _current.Length; shard++)
        {
            if (_current[shard] is { } batch)
                FrameBatch.Return(batch);
            _current[shard] = null;
        }
    }

    internal static int ShardOf(ReadOnlySpan<byte> frame, int vnetHeaderLength, int shards)
    {
        if (FrameParser.TryParse(frame, vnetHeaderLength, out PacketInfo info) != ParseStatus.Ok)
            return 0;
        int addressLength = info.IpVersion == 6 ? 16 : 4;
        UInt128 source = ReadAddress(frame.Slice(info.SourceAddressOffset, addressLength));
        UInt128 destination = ReadAddress(frame.Slice(info.DestinationAddressOffset, addressLength));
        int hash = HashCode.Combine(source, destination, info.Protocol, info.OuterVlanId, info.InnerVlanId);
        return (int)((uint)hash % (uint)shards);
    }

    private static UInt128 ReadAddress(ReadOnlySpan<byte> address) => address.Length == 16
        ? BinaryPrimitives.ReadUInt128BigEndian(address)
        : BinaryPrimitives.ReadUInt32BigEndian(address);
}
