namespace LiveStream.Infrastructure.Streaming;

/// <summary>
/// Group commit for producers: concurrent enqueues to one partition that arrive while an earlier write is in
/// flight are written together in the next single write (one multi-row INSERT, or SQS batches of ten), instead
/// of one round trip each. Every caller's task still completes only once the write holding its message has
/// succeeded (or fails with it), so an acknowledged OnNextAsync stays durable.
/// </summary>
internal sealed class EnqueueBatcher(IStreamQueue queue, int maxBatch)
{
    private readonly Dictionary<int, Partition> _partitions = [];
    private readonly Lock _gate = new();

    public Task EnqueueAsync(int partition, byte[] payload)
    {
        var pending = new Pending(payload);
        bool startWriter;
        Partition state;
        lock (_gate)
        {
            if (!_partitions.TryGetValue(partition, out state!))
            {
                state = new Partition();
                _partitions[partition] = state;
            }

            state.Queue.Add(pending);
            startWriter = !state.Writing;
            state.Writing = true;
        }

        if (startWriter)
        {
            // Off the caller's (grain) scheduler: the writer serves every producer of the partition.
            _ = Task.Run(() => WriteAsync(partition, state));
        }

        return pending.Completion.Task;
    }

    private async Task WriteAsync(int partition, Partition state)
    {
        while (true)
        {
            List<Pending> batch;
            lock (_gate)
            {
                if (state.Queue.Count == 0)
                {
                    state.Writing = false;
                    return;
                }

                var take = Math.Min(maxBatch, state.Queue.Count);
                batch = state.Queue.GetRange(0, take);
                state.Queue.RemoveRange(0, take);
            }

            try
            {
                await queue.EnqueueAsync(partition, [.. batch.Select(p => p.Payload)], CancellationToken.None);
                foreach (var pending in batch)
                {
                    pending.Completion.TrySetResult();
                }
            }
            catch (Exception exception)
            {
                // The producers see the failure: an event the queue did not take was not published.
                foreach (var pending in batch)
                {
                    pending.Completion.TrySetException(exception);
                }
            }
        }
    }

    private sealed class Partition
    {
        public List<Pending> Queue { get; } = [];

        public bool Writing { get; set; }
    }

    private sealed class Pending(byte[] payload)
    {
        public byte[] Payload { get; } = payload;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
