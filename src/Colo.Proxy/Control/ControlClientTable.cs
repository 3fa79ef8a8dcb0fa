namespace Colo.Proxy.Control;

/// <summary>
/// Who holds the control socket's places, as a pure, clock-free table (the server's shell owns the sockets and the
/// timer and passes the time in). A place cannot be kept for nothing: a client must negotiate capabilities within
/// <see cref="ControlLimits.NegotiationTimeout"/> and then send a command at least every
/// <see cref="ControlLimits.IdleTimeout"/> (whitespace and partial messages count for nothing). At the limit a new
/// client is never refused: it takes the place of a client that has not negotiated, else of the one idle longest,
/// so idle or hostile clients cannot lock an operator out.
/// </summary>
internal sealed class ControlClientTable(ControlLimits limits)
{
    private readonly Dictionary<long, Entry> _clients = [];

    public int Count => _clients.Count;

    /// <summary>
    /// A client connected. Returns the client that must make room for it (closed with <see cref="CloseReason.Evicted"/>),
    /// or null when there was room.
    /// </summary>
    public long? Admit(long id, TimeSpan now)
    {
        long? evicted = null;
        if (_clients.Count >= limits.MaxClients)
        {
            evicted = MostEvictable();
            _clients.Remove(evicted.Value);
        }
        _clients[id] = new Entry(now, Negotiated: false, LastCommand: now);
        return evicted;
    }

    /// <summary>The client completed qmp_capabilities.</summary>
    public void Negotiated(long id, TimeSpan now)
    {
        if (_clients.TryGetValue(id, out Entry entry))
            _clients[id] = entry with { Negotiated = true, LastCommand = now };
    }

    /// <summary>The client sent a complete command (answered or not).</summary>
    public void CommandReceived(long id, TimeSpan now)
    {
        if (_clients.TryGetValue(id, out Entry entry))
            _clients[id] = entry with { LastCommand = now };
    }

    public void Remove(long id) => _clients.Remove(id);

    /// <summary>Clients whose time is up at <paramref name="now"/>, and why; they are removed from the table.</summary>
    public List<(long Id, CloseReason Reason)> TakeExpired(TimeSpan now)
    {
        var expired = new List<(long, CloseReason)>();
        foreach ((long id, Entry entry) in _clients)
        {
            if (!entry.Negotiated && now - entry.Connected >= limits.NegotiationTimeout)
                expired.Add((id, CloseReason.NotNegotiated));
            else if (entry.Negotiated && now - entry.LastCommand >= limits.IdleTimeout)
                expired.Add((id, CloseReason.Idle));
        }
        foreach ((long id, _) in expired)
            _clients.Remove(id);
        return expired;
    }

    // Not negotiated before negotiated, then the longest without a command, then the oldest connection.
    private long MostEvictable()
    {
        long best = 0;
        Entry? bestEntry = null;
        foreach ((long id, Entry entry) in _clients)
        {
            if (bestEntry is not { } b
                || (b.Negotiated && !entry.Negotiated)
                || (b.Negotiated == entry.Negotiated && (entry.LastCommand < b.LastCommand
                    || (entry.LastCommand == b.LastCommand && id < best))))
            {
                best = id;
                bestEntry = entry;
            }
        }
        return best;
    }

    private readonly record struct Entry(TimeSpan Connected, bool Negotiated, TimeSpan LastCommand);

    /// <summary>Why the table let a client go.</summary>
    public enum CloseReason
    {
        /// <summary>A new client needed its place.</summary>
        Evicted,

        /// <summary>No qmp_capabilities within the negotiation timeout.</summary>
        NotNegotiated,

        /// <summary>No command within the idle timeout.</summary>
        Idle,
    }
}
