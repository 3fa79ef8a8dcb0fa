namespace Colo.Proxy.Hosting;

/// <summary>An entry of a worker's frame queue: a batch of frames, or a command ordered after the frames before it.</summary>
internal readonly record struct WorkItem(FrameBatch? Batch, EngineWork? Work);
