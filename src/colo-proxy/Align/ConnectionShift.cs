using Colo.Packets.Frames;

namespace Colo.Cli.Align;

/// <summary>How one connection of the secondary capture is moved into the primary's sequence space.</summary>
/// <param name="Flow">The guest-to-outside flow.</param>
/// <param name="Delta">Added to every secondary sequence number of the flow (mod 2^32); null when unknown.</param>
/// <param name="Basis">How the shift was found: <c>handshake</c> (both ISNs seen), <c>payload</c> (the same bytes
/// found in both captures), or why it was not (<c>no counterpart</c>).</param>
internal sealed record ConnectionShift(FlowKey Flow, uint? Delta, string Basis);
