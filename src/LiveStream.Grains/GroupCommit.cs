using LiveStream.Infrastructure.Telemetry;

namespace LiveStream.Grains;

/// <summary>
/// Batches concurrent writes into one flush: the first writer starts a flush, writers that arrive while it
/// is in flight wait for the next one, which takes all of them at once. Under load a hot session grain
/// therefore costs PostgreSQL one round-trip per flush instead of one per tap, and each caller is only
/// answered once its own item is durable. There is no timer: an idle writer is flushed immediately.
/// </summary>
public sealed class GroupCommit<TItem, TResult>(
    Func<IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> flush,
    int maxBatchSize,
    Func<int, System.Diagnostics.Activity?>? traceFlush = null)
{
    private readonly Func<int, System.Diagnostics.Activity?> _traceFlush = traceFlush ?? LiveStreamTelemetry.StartGroupCommitFlush;

    private readonly Lock _gate = new();
    private List<(TItem Item, TaskCompletionSource<TResult> Done)> _pending = [];
    private bool _flushing;
    private int _gathering;

    public int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Nothing waiting and no flush running: an owner keeping one per key may let it go.</summary>
    public bool IsIdle
    {
        get
        {
            lock (_gate)
            {
                return !_flushing && _pending.Count == 0;
            }
        }
    }

    public Task<TResult> WriteAsync(TItem item)
    {
        var done = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool startFlushing;
        lock (_gate)
        {
            _pending.Add((item, done));
            startFlushing = !_flushing && _gathering == 0;
            _flushing |= startFlushing;
        }

        if (startFlushing)
        {
            _ = FlushLoopAsync();
        }

        return done.Task;
    }

    /// <summary>
    /// Holds back the flush an idle writer would start until the returned scope ends, so writes a caller makes in one
    /// go (a batch of requests) share one flush instead of the first going alone and the rest waiting for it. A flush
    /// already running is not held: writes join its successor as usual.
    /// </summary>
    public IDisposable Gather()
    {
        lock (_gate)
        {
            _gathering++;
        }

        return new GatherScope(this);
    }

    private void EndGather()
    {
        bool startFlushing;
        lock (_gate)
        {
            _gathering--;
            startFlushing = _gathering == 0 && !_flushing && _pending.Count > 0;
            _flushing |= startFlushing;
        }

        if (startFlushing)
        {
            _ = FlushLoopAsync();
        }
    }

    private sealed class GatherScope(GroupCommit<TItem, TResult> owner) : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                owner.EndGather();
            }
        }
    }

    private async Task FlushLoopAsync()
    {
        while (true)
        {
            List<(TItem Item, TaskCompletionSource<TResult> Done)> batch;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _flushing = false;
                    return;
                }

                if (_pending.Count <= maxBatchSize)
                {
                    batch = _pending;
                    _pending = [];
                }
                else
                {
                    batch = _pending[..maxBatchSize];
                    _pending.RemoveRange(0, maxBatchSize);
                }
            }

            using var activity = _traceFlush(batch.Count);
            try
            {
                var results = await flush([.. batch.Select(entry => entry.Item)]);
                if (results.Count != batch.Count)
                {
                    throw new InvalidOperationException($"A flush of {batch.Count} items returned {results.Count} results.");
                }

                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Done.TrySetResult(results[i]);
                }
            }
            catch (Exception exception)
            {
                LiveStreamTelemetry.Fail(activity, exception);
                // Nothing of this batch is acknowledged; its callers see the failure and may retry with their keys.
                foreach (var (_, done) in batch)
                {
                    done.TrySetException(exception);
                }
            }
        }
    }
}
