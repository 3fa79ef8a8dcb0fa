namespace Colo.Compare;

/// <summary>
/// A frame kept by the flight recorder (<see cref="CompareOptions.RecorderBytesPerFlow"/>): one of the most recent
/// frames a side sent on a flow, as it arrived.
/// </summary>
/// <param name="Side">Which replica sent it.</param>
/// <param name="Time">Engine time of arrival (the time passed to <see cref="CompareEngine.Ingest"/>).</param>
/// <param name="Frame">The Ethernet frame, without any vnet header.</param>
public sealed record RecordedFrame(Side Side, TimeSpan Time, byte[] Frame);
