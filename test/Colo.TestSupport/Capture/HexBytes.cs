namespace Colo.TestSupport.Capture;

/// <summary>
/// Bytes from hex text, so capture-format tests can write a file block by block and field by field as the
/// specification lays it out.
/// </summary>
public static class HexBytes
{
    /// <summary>Bytes from hex digits; spaces and line breaks are ignored.</summary>
    public static byte[] Parse(string hex) =>
        Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal)
            .Replace("\n", string.Empty, StringComparison.Ordinal));

    /// <summary>Concatenates hex fragments (one per field or block) into bytes.</summary>
    public static byte[] Parse(params string[] parts) => Parse(string.Concat(parts));
}
