namespace Colo.Compare;

/// <summary>
/// Sees every frame the engine takes, before it is compared (for a full capture of the inputs, see <c>serve
/// --capture</c>). Called synchronously on the engine's thread: copy what you keep, and return quickly.
/// </summary>
public interface IFrameTap
{
    /// <param name="frame">The frame as passed to <see cref="CompareEngine.Ingest"/>, vnet header included.</param>
    void Ingested(Side side, ReadOnlySpan<byte> frame, int vnetHeaderLength, TimeSpan now);
}
