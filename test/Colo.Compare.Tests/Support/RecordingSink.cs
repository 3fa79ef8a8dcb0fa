using Colo.Packets.Frames;

namespace Colo.Compare.Tests.Support;

/// <summary>Records every decision of the engine for assertions.</summary>
internal sealed class RecordingSink : ICompareSink
{
    public List<(byte[] Frame, ReleaseInfo Info)> Released { get; } = [];
    public List<CheckpointTrigger> Triggers { get; } = [];
    public List<Divergence> Divergences { get; } = [];

    public void Release(ReadOnlySpan<byte> frame, in ReleaseInfo info) => Released.Add((frame.ToArray(), info));

    public void CheckpointTriggered(in CheckpointTrigger trigger) => Triggers.Add(trigger);

    public void Diverged(Divergence divergence) => Divergences.Add(divergence);

    public int TriggerCount(CheckpointReason reason) => Triggers.Count(t => t.Reason == reason);

    /// <summary>TCP payloads of the released frames, in release order (parsed back from the bytes).</summary>
    public List<string> ReleasedPayloads()
    {
        var result = new List<string>();
        foreach ((byte[] frame, ReleaseInfo info) in Released)
        {
            FrameParser.TryParse(frame, info.VnetHeaderLength, out PacketInfo parsed);
            result.Add(System.Text.Encoding.ASCII.GetString(frame, parsed.PayloadOffset, parsed.PayloadLength));
        }
        return result;
    }
}
