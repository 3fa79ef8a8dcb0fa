namespace Colo.Compare.Internal;

/// <summary>
/// An intrusive doubly-linked list of flows (through <see cref="Flow.PreviousLink"/> and <see cref="Flow.NextLink"/>):
/// O(1) append, removal and move to the tail, no allocation. A flow is on at most one chain at a time.
/// </summary>
internal struct FlowChain(FlowList kind)
{
    public Flow? Head;
    public Flow? Tail;
    public int Count;

    public readonly FlowList Kind = kind;

    public void Append(Flow flow)
    {
        flow.List = Kind;
        flow.PreviousLink = Tail;
        flow.NextLink = null;
        if (Tail is null)
            Head = flow;
        else
            Tail.NextLink = flow;
        Tail = flow;
        Count++;
    }

    public void Remove(Flow flow)
    {
        if (flow.PreviousLink is null)
            Head = flow.NextLink;
        else
            flow.PreviousLink.NextLink = flow.NextLink;
        if (flow.NextLink is null)
            Tail = flow.PreviousLink;
        else
            flow.NextLink.PreviousLink = flow.PreviousLink;
        flow.PreviousLink = null;
        flow.NextLink = null;
        flow.List = FlowList.None;
        Count--;
    }

    public void MoveToTail(Flow flow)
    {
        if (Tail == flow)
            return;
        Remove(flow);
        Append(flow);
    }
}
