namespace Colo.Compare.Internal;

/// <summary>
/// Hands out the per-flow frame rings of the flight recorder within a memory budget. Rings are allocated once, when a
/// flow first needs one and the budget allows, and are recycled when flows end; when the budget is spent, a new flow
/// takes the ring of the least recently active idle flow (the history least likely to be asked for).
/// </summary>
internal sealed class FlightRecorder
{
    private readonly int _bytesPerSide;
    private readonly int _maxRings;
    private readonly Stack<FrameRing> _free = new();
    private int _allocated;

    public FlightRecorder(int bytesPerFlow, long budgetBytes)
    {
        _bytesPerSide = bytesPerFlow / 2;
        _maxRings = _bytesPerSide == 0 ? 0 : (int)Math.Min(int.MaxValue, budgetBytes / _bytesPerSide);
    }

    public bool Enabled => _maxRings >= 2;

    /// <summary>Bytes held by the rings allocated so far.</summary>
    public long AllocatedBytes => (long)_allocated * _bytesPerSide;

    /// <summary>A ring pair for a flow, or false when the budget is spent and <paramref name="donor"/> has none.</summary>
    public bool TryTake(Flow? donor, out FrameRing primary, out FrameRing secondary)
    {
        if (_free.Count >= 2)
        {
            primary = _free.Pop();
            secondary = _free.Pop();
            return true;
        }
        if (_allocated + 2 <= _maxRings)
        {
            _allocated += 2;
            primary = new FrameRing(new byte[_bytesPerSide]);
            secondary = new FrameRing(new byte[_bytesPerSide]);
            return true;
        }
        if (donor is { PrimaryRecord: { } p, SecondaryRecord: { } s })
        {
            donor.PrimaryRecord = null;
            donor.SecondaryRecord = null;
            p.Clear();
            s.Clear();
            primary = p;
            secondary = s;
            return true;
        }
        primary = null!;
        secondary = null!;
        return false;
    }

    public void Return(Flow flow)
    {
        if (flow.PrimaryRecord is { } p)
        {
            p.Clear();
            _free.Push(p);
        }
        if (flow.SecondaryRecord is { } s)
        {
            s.Clear();
            _free.Push(s);
        }
        flow.PrimaryRecord = null;
        flow.SecondaryRecord = null;
    }
}
