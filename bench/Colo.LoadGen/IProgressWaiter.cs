namespace Colo.LoadGen;

/// <summary>A writer blocked on the other side's or the reader's progress.</summary>
internal interface IProgressWaiter
{
    bool CanProceed();
}
