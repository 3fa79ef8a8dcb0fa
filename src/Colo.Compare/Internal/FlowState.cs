namespace Colo.Compare.Internal;

internal enum FlowState : byte
{
    Comparing = 0,
    Diverged,
    Passthrough,
}
