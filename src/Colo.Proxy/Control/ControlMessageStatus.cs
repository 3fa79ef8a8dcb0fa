namespace Colo.Proxy.Control;

/// <summary>What <see cref="ControlMessageReader.TryRead"/> found at the start of the buffer.</summary>
internal enum ControlMessageStatus
{
    /// <summary>Nothing complete yet: read more.</summary>
    Incomplete,

    /// <summary>One complete top-level JSON object.</summary>
    Message,

    /// <summary>Input that cannot become a JSON object; the rest of its line is skipped.</summary>
    Malformed,
}
