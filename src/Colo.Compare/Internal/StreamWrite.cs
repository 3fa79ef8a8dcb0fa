namespace Colo.Compare.Internal;

/// <summary>What <see cref="StreamBuffer.Write"/> did.</summary>
internal enum StreamWrite : byte
{
    /// <summary>The bytes are present (new ones copied in, overlaps equal).</summary>
    Stored = 0,

    /// <summary>They contradict bytes already present; nothing was stored.</summary>
    Conflict,

    /// <summary>They would leave more disjoint ranges than allowed; nothing was stored.</summary>
    TooFragmented,
}
