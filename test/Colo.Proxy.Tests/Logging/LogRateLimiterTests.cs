using Colo.Proxy.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Colo.Proxy.Tests.Logging;

public class LogRateLimiterTests
{
    [Fact]
    public void TryAcquire_RepeatedWithinInterval_OnlyFirstLogged()
    {
        var time = new FakeTimeProvider();
        var limiter = new LogRateLimiter(time, TimeSpan.FromMinutes(1));

        bool first = limiter.TryAcquire("query-status", out _);
        bool second = limiter.TryAcquire("query-status", out _);
        bool other = limiter.TryAcquire("query-stats", out _);

        Assert.True(first);
        Assert.False(second);
        Assert.True(other);
    }

    [Fact]
    public void TryAcquire_AfterInterval_LoggedWithSuppressedCount()
    {
        var time = new FakeTimeProvider();
        var limiter = new LogRateLimiter(time, TimeSpan.FromMinutes(1));
        limiter.TryAcquire("query-status", out _);
        limiter.TryAcquire("query-status", out _);
        limiter.TryAcquire("query-status", out _);

        time.Advance(TimeSpan.FromMinutes(1));
        bool logged = limiter.TryAcquire("query-status", out long suppressed);

        Assert.True(logged);
        Assert.Equal(2, suppressed);
    }
}
