using System.Globalization;
using BenchmarkDotNet.Running;
using Colo.Benchmarks;

// dotnet run -c Release --project bench/Colo.Benchmarks -- --filter '*' --job short
// dotnet run -c Release --project bench/Colo.Benchmarks -- --alloc-probe [frames [lead]]
if (args.Length > 0 && args[0] == "--alloc-probe")
{
    int frames = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2_000_000;
    int lead = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100_000;
    return AllocationProbe.Run(frames, lead);
}

BenchmarkSwitcher.FromAssembly(typeof(ParseBenchmarks).Assembly).Run(args);
return 0;
