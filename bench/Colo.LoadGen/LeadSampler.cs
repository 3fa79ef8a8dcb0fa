namespace Colo.LoadGen;

/// <summary>
/// Samples, every 50 ms, how far the two writers are apart (in primary segments) and, every 250 ms when the
/// comparator has a control socket, how many bytes it holds for comparison: the backlog a run really built.
/// </summary>
internal sealed class LeadSampler
{
    private readonly RunState _state;
    private readonly Endpoint? _control;
    private readonly ManualResetEventSlim _stop = new(false);

    public LeadSampler(RunState state, Endpoint? control)
    {
        _state = state;
        _control = control;
    }

    public long MaxPrimaryLead { get; private set; }

    public long MaxSecondaryLead { get; private set; }

    /// <summary>Null without a control socket (or when it never answered).</summary>
    public long? MaxBufferedBytes { get; private set; }

    public void Stop() => _stop.Set();

    public void Run()
    {
        int tick = 0;
        while (!_stop.Wait(50))
        {
            long lead = Volatile.Read(ref _state.PrimaryWritten) - Volatile.Read(ref _state.SecondaryWritten);
            MaxPrimaryLead = Math.Max(MaxPrimaryLead, lead);
            MaxSecondaryLead = Math.Max(MaxSecondaryLead, -lead);
            if (_control is not null && ++tick % 5 == 0 && GcSampler.Sample(_control) is { } stats)
                MaxBufferedBytes = Math.Max(MaxBufferedBytes ?? 0, stats.BufferedBytes);
        }
    }
}
