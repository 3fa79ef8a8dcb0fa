namespace Colo.RealColo.Tests.Workload;

/// <summary>What one workload run measured and every check that failed in it (a transfer not intact, an error, a timeout).</summary>
internal sealed class WorkloadResult
{
    public List<double> DownloadSeconds { get; } = [];

    public List<double> PageSeconds { get; } = [];

    public List<double> EchoRoundTripSeconds { get; } = [];

    public int Transfers { get; set; }

    public int IntactTransfers { get; set; }

    public List<string> Failures { get; } = [];

    public double StartedAt { get; set; }

    public double EndedAt { get; set; }

    public void Record(bool intact, string what)
    {
        lock (Failures)
        {
            Transfers++;
            if (intact)
                IntactTransfers++;
            else
                Failures.Add(what);
        }
    }
}
