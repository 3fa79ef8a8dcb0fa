using System.Net.Sockets;

namespace Colo.LoadGen;

/// <summary>Large socket buffers so the generator, not the kernel's defaults, sets the pace.</summary>
internal static class SocketTuning
{
    // Linux SO_SNDBUFFORCE / SO_RCVBUFFORCE (asm-generic/socket.h): like SO_SNDBUF / SO_RCVBUF but may exceed
    // net.core.{w,r}mem_max when the process has CAP_NET_ADMIN; otherwise they fail and the capped option is used.
    private const int SoSndBufForce = 32;
    private const int SoRcvBufForce = 33;
    private const int SolSocket = 1;

    public static void SetBuffers(Socket socket, int bytes)
    {
        if (bytes <= 0)
            return;
        Span<byte> value = stackalloc byte[4];
        BitConverter.TryWriteBytes(value, bytes);
        TrySet(socket, SoSndBufForce, value, SocketOptionName.SendBuffer, bytes);
        TrySet(socket, SoRcvBufForce, value, SocketOptionName.ReceiveBuffer, bytes);
    }

    /// <summary>The Linux-only fallback is fine: the forced option is an optimisation.</summary>
    private static void TrySet(Socket socket, int forceOption, ReadOnlySpan<byte> value, SocketOptionName fallback, int bytes)
    {
        try
        {
            if (OperatingSystem.IsLinux())
            {
                socket.SetRawSocketOption(SolSocket, forceOption, value);
                return;
            }
        }
        catch (SocketException)
        {
        }

        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, fallback, bytes);
        }
        catch (SocketException)
        {
        }
    }

    /// <summary>Sends all of <paramref name="data"/> (a blocking stream socket may accept it in parts).</summary>
    public static void SendAll(Socket socket, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int sent = socket.Send(data, SocketFlags.None);
            if (sent <= 0)
                throw new IOException("socket send returned 0: the peer closed the connection.");
            data = data[sent..];
        }
    }
}
