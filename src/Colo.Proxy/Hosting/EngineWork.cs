using Colo.Compare;

namespace Colo.Proxy.Hosting;

/// <summary>A command run on a worker's thread against its engine (control commands, checkpoints, shutdown).</summary>
internal abstract class EngineWork
{
    public abstract void Execute(CompareEngine engine, TimeSpan now);

    public abstract void Fail(Exception exception);
}

/// <summary>An <see cref="EngineWork"/> with a result.</summary>
internal sealed class EngineWork<T>(Func<CompareEngine, TimeSpan, T> action) : EngineWork
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => _completion.Task;

    public override void Execute(CompareEngine engine, TimeSpan now)
    {
        try
        {
            _completion.TrySetResult(action(engine, now));
        }
        catch (Exception ex)
        {
            _completion.TrySetException(ex);
        }
    }

    public override void Fail(Exception exception) => _completion.TrySetException(exception);
}
