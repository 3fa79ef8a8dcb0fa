using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Tests.Qemu;

/// <summary>Writes log lines to the running test's output (shown when a test fails).</summary>
internal sealed class TestOutputLogger : ILogger
{
    private readonly ITestOutputHelper? _output = TestContext.Current.TestOutputHelper;

    /// <summary>Every entry logged, for tests that assert what an operator would read.</summary>
    public AsyncLog<(LogLevel Level, int EventId, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        Entries.Add((logLevel, eventId.Id, formatter(state, exception)));
        try
        {
            _output?.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel,-11} {eventId.Id} {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
        }
        catch (InvalidOperationException)
        {
            // The test already finished; background loops may still log while shutting down.
        }
    }
}
