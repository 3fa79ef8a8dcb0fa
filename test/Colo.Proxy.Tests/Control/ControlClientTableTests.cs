using Colo.Proxy.Control;
using static Colo.Proxy.Control.ControlClientTable;

namespace Colo.Proxy.Tests.Control;

/// <summary>Who keeps a place on the control socket, at given times (seconds), with a limit of 3.</summary>
public class ControlClientTableTests
{
    private static readonly ControlLimits Limits = new()
    {
        MaxClients = 3,
        NegotiationTimeout = TimeSpan.FromSeconds(10),
        IdleTimeout = TimeSpan.FromSeconds(100),
    };

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void Admit_BelowTheLimit_NobodyEvicted()
    {
        var table = new ControlClientTable(Limits);

        Assert.Null(table.Admit(1, S(0)));
        Assert.Null(table.Admit(2, S(0)));
        Assert.Null(table.Admit(3, S(0)));
        Assert.Equal(3, table.Count);
    }

    public static TheoryData<string, long> AtTheLimit => new()
    {
        // (what the three clients did, who makes room for a fourth at t=50)
        { "all negotiated; 1 commanded at 40, 2 at 20, 3 at 30", 2 },
        { "1 never negotiated, 2 and 3 negotiated long ago", 1 },
        { "all negotiated at 5, no commands since", 1 },
    };

    [Theory]
    [MemberData(nameof(AtTheLimit))]
    public void Admit_AtTheLimit_EvictsTheLeastUsedInsteadOfRefusing(string scenario, long expected)
    {
        var table = new ControlClientTable(Limits);
        for (long id = 1; id <= 3; id++)
            table.Admit(id, S(0));
        switch (scenario)
        {
            case "all negotiated; 1 commanded at 40, 2 at 20, 3 at 30":
                table.Negotiated(1, S(1));
                table.Negotiated(2, S(1));
                table.Negotiated(3, S(1));
                table.CommandReceived(1, S(40));
                table.CommandReceived(2, S(20));
                table.CommandReceived(3, S(30));
                break;
            case "1 never negotiated, 2 and 3 negotiated long ago":
                table.Negotiated(2, S(1));
                table.Negotiated(3, S(1));
                break;
            default:
                for (long id = 1; id <= 3; id++)
                    table.Negotiated(id, S(5));
                break;
        }

        long? evicted = table.Admit(4, S(50));

        Assert.Equal(expected, evicted);
        Assert.Equal(3, table.Count);
    }

    [Fact]
    public void TakeExpired_NotNegotiatedInTime_Closed()
    {
        var table = new ControlClientTable(Limits);
        table.Admit(1, S(0));
        table.Admit(2, S(0));
        table.Negotiated(2, S(9));

        Assert.Empty(table.TakeExpired(S(9.9)));
        Assert.Equal([(1L, CloseReason.NotNegotiated)], table.TakeExpired(S(10)));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void TakeExpired_NoCommandForTheIdleTimeout_Closed()
    {
        var table = new ControlClientTable(Limits);
        table.Admit(1, S(0));
        table.Negotiated(1, S(1));
        table.CommandReceived(1, S(50));

        Assert.Empty(table.TakeExpired(S(149)));
        Assert.Equal([(1L, CloseReason.Idle)], table.TakeExpired(S(150)));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Remove_ClientLeft_ItsPlaceIsFree()
    {
        var table = new ControlClientTable(Limits);
        for (long id = 1; id <= 3; id++)
            table.Admit(id, S(0));

        table.Remove(2);

        Assert.Null(table.Admit(4, S(1)));
    }
}
