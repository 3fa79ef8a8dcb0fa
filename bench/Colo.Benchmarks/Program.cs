using System.Globalization;
using BenchmarkDotNet.Running;
using Colo.Benchmarks;

// dotnet run -c Release --project bench/Colo.Benchmarks -- --filter '*' --job short
// dotnet run -c Release --project bench/Colo.Benchmarks -- --alloc-probe [frames]
if (args.Length > 0 && args[0] == "--alloc-probe")
{
    int frames = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2_000_000;
    return AllocationProbe.Run(frames);
}

BenchmarkSwitcher.FromAssembly(typeof(ParseBenchmarks).Assembly).Run(args);
return 0;
