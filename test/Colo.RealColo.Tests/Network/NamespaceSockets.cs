using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Colo.RealColo.Tests.Network;

/// <summary>
/// Creates sockets inside a network namespace without running the client in another process: one dedicated thread
/// enters the namespace with <c>setns(2)</c> (a thread's network namespace is its own), and every socket it creates
/// belongs to that namespace for its whole life, whichever thread uses it afterwards.
/// </summary>
internal sealed partial class NamespaceSockets : IDisposable
{
    private const int CloneNewNet = 0x40000000;

    private readonly BlockingCollection<(Func<Socket> Create, TaskCompletionSource<Socket> Done)> _requests = [];
    private readonly Thread _thread;
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public NamespaceSockets(string namespaceName)
    {
        _thread = new Thread(() => Serve(namespaceName)) { IsBackground = true, Name = "netns " + namespaceName };
        _thread.Start();
        _entered.Task.GetAwaiter().GetResult();
    }

    /// <summary>A TCP socket in the namespace, connected to <paramref name="host"/>:<paramref name="port"/>, with Nagle off.</summary>
    public async Task<Socket> ConnectAsync(string host, int port, CancellationToken cancellation)
    {
        var socket = await CreateAsync(static () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)).ConfigureAwait(false);
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(host), port), cancellation).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A listening TCP socket in the namespace.</summary>
    public Task<Socket> ListenAsync(string address, int port) => CreateAsync(() =>
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.Bind(new IPEndPoint(IPAddress.Parse(address), port));
        socket.Listen(16);
        return socket;
    });

    public void Dispose()
    {
        _requests.CompleteAdding();
        _thread.Join();
        _requests.Dispose();
    }

    private Task<Socket> CreateAsync(Func<Socket> create)
    {
        var done = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests.Add((create, done));
        return done.Task;
    }

    private void Serve(string namespaceName)
    {
        try
        {
            using var handle = File.OpenHandle($"/run/netns/{namespaceName}");
            if (SetNamespace((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                throw new IOException($"setns({namespaceName}) failed: errno {Marshal.GetLastPInvokeError()}");
            _entered.SetResult();
        }
        catch (Exception e)
        {
            _entered.SetException(e);
            return;
        }
        foreach (var (create, done) in _requests.GetConsumingEnumerable())
        {
            try
            {
                done.SetResult(create());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNamespace(int fd, int nstype);
}
