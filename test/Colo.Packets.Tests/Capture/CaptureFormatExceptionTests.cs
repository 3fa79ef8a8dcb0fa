using Colo.Packets.Capture;

namespace Colo.Packets.Tests.Capture;

public sealed class CaptureFormatExceptionTests
{
    [Fact]
    public void Constructor_WithDetail_FormatsFileOffsetAndDetail()
    {
        // Act
        var error = new CaptureFormatException("capture.pcap", 1234, "truncated record header", "need 16 bytes, file ends at 1240");

        // Assert
        Assert.Equal("capture.pcap", error.FileName);
        Assert.Equal(1234, error.Offset);
        Assert.Equal("capture.pcap: truncated record header at byte 1234 (need 16 bytes, file ends at 1240)", error.Message);
    }

    [Fact]
    public void Constructor_WithoutDetail_EndsWithOffset()
    {
        // Act
        var error = new CaptureFormatException("x.pcapng", 28, "block length 21 is wrong");

        // Assert
        Assert.Equal("x.pcapng: block length 21 is wrong at byte 28", error.Message);
    }
}
