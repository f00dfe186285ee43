using System.Diagnostics;
using LiveStream.Abstractions.Notifications;
using LiveStream.Grains.Notifications;
using LiveStream.Infrastructure.Postgres;
using LiveStream.Infrastructure.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Streams;

namespace LiveStream.Grains;

[GenerateSerializer]
[Alias("livestream.fan-out-state")]
public sealed class FanOutState
{
    [Id(0)]
    public SessionEvent? Event { get; set; }

    /// <summary>The last follower (mentee id) whose chunk is safely in the queue; paging resumes after it.</summary>
    [Id(1)]
    public string? Cursor { get; set; }

    /// <summary>Followers whose chunks are queued (not queue messages).</summary>
    [Id(2)]
    public long Enqueued { get; set; }

    [Id(3)]
    public bool Completed { get; set; }

    /// <summary>How often a new activation picked up a fan-out an earlier one had left unfinished.</summary>
    [Id(4)]
    public int Resumptions { get; set; }
}

/// <summary>
/// Fans one session event out to the mentor's followers: pages the follows table by key, enqueues each page as
/// chunks of followers (one queue message per chunk, <see cref="NotificationBatch"/>) and persists the cursor
/// after each page. A reminder keeps an unfinished fan-out alive: if the silo dies mid-way, the reminder
/// activates the grain elsewhere and it continues after the last persisted page (re-enqueuing at most one page,
/// which the deliveries absorb idempotently).
/// </summary>
public sealed partial class NotificationFanOutGrain(
    [PersistentState("fanout", GrainStorage.Name)] IPersistentState<FanOutState> state,
    IFollowStore follows,
    IOptions<NotificationOptions> options,
    ILogger<NotificationFanOutGrain> logger) : Grain, INotificationFanOutGrain, IRemindable
{
    private const string ReminderName = "fan-out";

    private IGrainTimer? _pump;

    // The trace of the call that started this fan-out; the timer-driven pump continues it (not persisted: a
    // fan-out resumed by its reminder starts a trace of its own).
    private ActivityContext _origin;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State is { Event: not null, Completed: false })
        {
            // Someone (a reminder, a retried start) woke a fan-out an earlier activation did not finish.
            state.State.Resumptions++;
            LogResuming(logger, this.GetPrimaryKeyString(), state.State.Enqueued, state.State.Cursor);
            StartPumping();
        }

        return Task.CompletedTask;
    }

    public async Task StartAsync(SessionEvent sessionEvent)
    {
        if (Activity.Current is { } caller && _origin == default)
        {
            _origin = caller.Context;
        }

        if (state.State.Event is null)
        {
            // The reminder first, then the state: whatever happens after this call returns, the fan-out finishes.
            await this.RegisterOrUpdateReminder(ReminderName, options.Value.RetryPeriod, options.Value.RetryPeriod);
            state.State.Event = sessionEvent;
            await state.WriteStateAsync();
            LogStarted(logger, this.GetPrimaryKeyString(), sessionEvent.MentorId);
        }

        if (!state.State.Completed)
        {
            StartPumping();
        }
    }

    public Task<FanOutProgress> GetProgressAsync() => Task.FromResult(new FanOutProgress(
        state.State.Event is not null, state.State.Completed, state.State.Enqueued, state.State.Cursor, state.State.Resumptions));

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ReminderName)
        {
            return;
        }

        if (state.State.Event is null || state.State.Completed)
        {
            await UnregisterReminderAsync();
            return;
        }

        StartPumping();
    }

    private void StartPumping()
    {
        // Interleaving lets progress queries and repeated starts through while pages are being enqueued;
        // only the timer callback touches the cursor, so the state stays consistent.
        _pump ??= this.RegisterGrainTimer(PumpAsync, new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan)
        {
            Interleave = true,
            KeepAlive = true,
        });
    }

    private async Task PumpAsync(CancellationToken cancellationToken)
    {
        try
        {
            var settings = options.Value;
            var sessionEvent = state.State.Event!;
            using var activity = LiveStreamTelemetry.StartFanOut(sessionEvent.LiveId, sessionEvent.Kind.ToName(), _origin);
            var provider = this.GetStreamProvider(NotificationStreams.Provider);
            var fanOutKey = this.GetPrimaryKeyString();
            while (!state.State.Completed && !cancellationToken.IsCancellationRequested)
            {
                var page = await follows.ListFollowersAsync(sessionEvent.MentorId, state.State.Cursor, settings.FanOutPageSize, cancellationToken);
                // One queue message per chunk, all chunks of the page at once (the adapter writes a partition's
                // concurrent messages together). The cursor moves only once every chunk is durably queued.
                await Task.WhenAll(page.Chunk(settings.FanOutChunkSize).Select(chunk => provider
                    .GetStream<NotificationBatch>(StreamId.Create(NotificationStreams.BatchNamespace, NotificationStreams.BatchKey(fanOutKey, chunk[0])))
                    .OnNextAsync(new NotificationBatch(sessionEvent, [.. chunk]))));

                if (page.Count > 0)
                {
                    state.State.Cursor = page[^1];
                    state.State.Enqueued += page.Count;
                }

                state.State.Completed = page.Count < settings.FanOutPageSize;
                await state.WriteStateAsync();
                if (!state.State.Completed && settings.FanOutPagePause > TimeSpan.Zero)
                {
                    await Task.Delay(settings.FanOutPagePause, cancellationToken);
                }
            }

            if (state.State.Completed)
            {
                LogCompleted(logger, this.GetPrimaryKeyString(), state.State.Enqueued, state.State.Resumptions);
                await UnregisterReminderAsync();
                // A finished fan-out has nothing left to do; two start with every session, so staying resident for
                // the collection age would hold memory in proportion to how many sessions were scheduled lately.
                DeactivateOnIdle();
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The reminder tries again from the persisted cursor.
            LogPageFailed(logger, exception, this.GetPrimaryKeyString(), state.State.Cursor);
        }
        finally
        {
            _pump?.Dispose();
            _pump = null;
        }
    }

    private async Task UnregisterReminderAsync()
    {
        if (await this.GetReminder(ReminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fan-out {FanOut} of mentor {MentorId} started")]
    private static partial void LogStarted(ILogger logger, string fanOut, string mentorId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fan-out {FanOut} resuming after {Enqueued} followers (cursor {Cursor})")]
    private static partial void LogResuming(ILogger logger, string fanOut, long enqueued, string? cursor);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fan-out {FanOut} completed: {Enqueued} followers queued, {Resumptions} resumption(s)")]
    private static partial void LogCompleted(ILogger logger, string fanOut, long enqueued, int resumptions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fan-out {FanOut} stopped after cursor {Cursor}; its reminder resumes it")]
    private static partial void LogPageFailed(ILogger logger, Exception exception, string fanOut, string? cursor);
}
