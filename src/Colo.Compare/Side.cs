namespace Colo.Compare;

/// <summary>Which replica a frame came from.</summary>
public enum Side : byte
{
    Primary = 0,
    Secondary = 1,
}
