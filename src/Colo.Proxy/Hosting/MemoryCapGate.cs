namespace Colo.Proxy.Hosting;

/// <summary>
/// Closed while an engine holds more than its memory cap (a checkpoint was requested): the primary's input waits
/// (backpressure), since primary frames are never dropped; the secondary's frames go on being read and dropped.
/// Updated by the thread holding the engine lock, waited on by input threads.
/// </summary>
internal sealed class MemoryCapGate : IDisposable
{
    private static readonly TimeSpan RecheckInterval = TimeSpan.FromMilliseconds(100);

    private readonly ManualResetEventSlim _open = new(true, spinCount: 0);
    private bool _over;

    public bool IsOpen => !Volatile.Read(ref _over);

    public void Update(bool overCap)
    {
        if (overCap == _over)
            return;
        Volatile.Write(ref _over, overCap);
        if (overCap)
            _open.Reset();
        else
            _open.Set();
    }

    /// <summary>Blocks while closed; rechecks every 100 ms.</summary>
    public void Wait(CancellationToken cancellationToken)
    {
        while (!IsOpen)
            _open.Wait(RecheckInterval, cancellationToken);
    }

    public void Dispose() => _open.Dispose();
}
