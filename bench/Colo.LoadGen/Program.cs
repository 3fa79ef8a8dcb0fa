using System.Net.Sockets;
using Colo.LoadGen;

const string Usage = """
    colo-loadgen: load generator for COLO network comparators (ColoProxy, QEMU colo-compare) speaking QEMU's
    socket framing (BE32 length [+ BE32 vnet_hdr_len] + frame).

    commands:
      run             drive a comparator and measure it (default when the first argument is an option)
      null-forwarder  a comparator stand-in that copies primary to outdev (the socket limit)
      report FILE     print the comparison table from JSON result lines (as written by bench/compare.sh)

    """;

try
{
    if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
    {
        Console.Out.Write(Usage + LoadOptions.Usage + Environment.NewLine + NullForwarder.Usage + Environment.NewLine + Report.Usage);
        return args.Length == 0 ? 2 : 0;
    }

    string command = args[0].StartsWith("--", StringComparison.Ordinal) ? "run" : args[0];
    string[] rest = command == args[0] ? args[1..] : args;
    return command switch
    {
        "run" => LoadRunner.Run(LoadOptions.Parse(rest)),
        "null-forwarder" => NullForwarder.Run(rest),
        "report" => Report.Run(rest),
        _ => throw new UsageException($"unknown command '{command}'."),
    };
}
catch (UsageException ex)
{
    Console.Error.WriteLine($"colo-loadgen: {ex.Message} (see colo-loadgen --help)");
    return 2;
}
catch (FormatException ex)
{
    Console.Error.WriteLine($"colo-loadgen: {ex.Message}");
    return 2;
}
catch (SocketException ex)
{
    Console.Error.WriteLine($"colo-loadgen: socket error: {ex.Message}; is the comparator listening?");
    return 2;
}
