using LiveStream.Infrastructure.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LiveStream.Infrastructure.Streaming;

/// <summary>
/// Samples the depth of each queue stream provider's backend on a silo and hands it to the
/// <see cref="LiveStreamMetrics.QueueDepth"/> gauge. A sample is a query (PostgreSQL) or a few API calls (SQS),
/// so it runs on its own timer, never inside a metrics scrape. Every silo samples the same shared queues:
/// aggregate with max, not sum.
/// </summary>
internal sealed partial class QueueDepthMonitor(LiveStreamMetrics metrics, ILogger<QueueDepthMonitor> logger) : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private readonly Lock _gate = new();
    private bool _disposed;

    public void Track(string provider, IStreamQueue queue, TimeSpan interval)
    {
        lock (_gate)
        {
            if (!_disposed && !_stopping.IsCancellationRequested)
            {
                _loops.Add(SampleAsync(provider, queue, interval, _stopping.Token));
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task[] loops;
        lock (_gate)
        {
            if (!_disposed)
            {
                _stopping.Cancel();
            }

            loops = [.. _loops];
        }

        await Task.WhenAll(loops).WaitAsync(cancellationToken);
    }

    // The container may dispose this twice: as itself and as the hosted service it is also registered as.
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        lock (_gate)
        {
            if (!_disposed)
            {
                _disposed = true;
                _stopping.Dispose();
            }
        }
    }

    private async Task SampleAsync(string provider, IStreamQueue queue, TimeSpan interval, CancellationToken cancellationToken)
    {
        // Off the caller's thread: Track runs while Orleans builds the stream provider.
        await Task.Yield();
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                try
                {
                    metrics.SetQueueDepths(provider, await queue.GetDepthsAsync(cancellationToken));
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // A stale figure is better than none; the next tick tries again.
                    LogSampleFailed(logger, exception, provider);
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sampling the depth of stream queue provider {Provider} failed")]
    private static partial void LogSampleFailed(ILogger logger, Exception exception, string provider);
}
