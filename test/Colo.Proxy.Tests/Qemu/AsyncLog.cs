namespace Colo.Proxy.Tests.Qemu;

/// <summary>A thread-safe append-only list that tests can wait on (no sleeps: waiters wake on each append).</summary>
internal sealed class AsyncLog<T>
{
    private readonly Lock _lock = new();
    private readonly List<T> _items = [];
    private readonly List<(Func<IReadOnlyList<T>, bool> Predicate, TaskCompletionSource Done)> _waiters = [];

    public void Add(T item)
    {
        List<TaskCompletionSource> wake = [];
        lock (_lock)
        {
            _items.Add(item);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Predicate(_items))
                {
                    wake.Add(_waiters[i].Done);
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach (TaskCompletionSource done in wake)
            done.TrySetResult();
    }

    public IReadOnlyList<T> Snapshot()
    {
        lock (_lock)
            return [.. _items];
    }

    /// <summary>Waits until <paramref name="predicate"/> holds over the items; fails the test with <paramref name="what"/> on timeout.</summary>
    public async Task WaitAsync(Func<IReadOnlyList<T>, bool> predicate, string what, TimeSpan? timeout = null)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (predicate(_items))
                return;
            _waiters.Add((predicate, done));
        }

        TimeSpan limit = timeout ?? TimeSpan.FromSeconds(30);
        try
        {
            await done.Task.WaitAsync(limit, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Timed out after {limit.TotalSeconds} s waiting for {what}; got: [{string.Join(", ", Snapshot())}]");
        }
    }

    public Task WaitForCountAsync(int count, string what, TimeSpan? timeout = null) =>
        WaitAsync(items => items.Count >= count, what, timeout);
}
