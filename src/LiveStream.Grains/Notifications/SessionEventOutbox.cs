using LiveStream.Abstractions.Notifications;
using LiveStream.Abstractions.Sessions;
using LiveStream.Infrastructure.Notifications;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Timers;

namespace LiveStream.Grains.Notifications;

/// <summary>
/// The session grain's outbox of notification events. An event is staged into the grain's state in the same
/// write as the state change that caused it, so it cannot be lost: if the process dies right after that write,
/// the reminder registered just before it wakes the grain and <see cref="OnReminderAsync"/> publishes it.
/// Publishing hands it to the (session, kind) fan-out grain, which is idempotent, so a retry after a crash
/// between publish and clean-up costs nothing. The same reminder later sends the "starting soon" notice. An event
/// for the mentor (<see cref="NotificationKinds.IsForMentor"/>) goes straight into the mentor's inbox instead.
/// </summary>
public sealed partial class SessionEventOutbox(
    IReminderRegistry reminders,
    IGrainFactory grains,
    NotificationStore inbox,
    IOptions<NotificationOptions> options,
    TimeProvider clock,
    ILogger<SessionEventOutbox> logger)
{
    public const string ReminderName = "session-notifications";

    // Orleans reminders cannot be due further out than about 49 days; a later pre-start notice re-arms on each tick.
    private static readonly TimeSpan MaxReminderDue = TimeSpan.FromDays(40);

    /// <summary>Adds the event to <paramref name="state"/>; call before the write that persists the change.</summary>
    public async Task StageAsync(GrainId session, LiveSessionState state, NotificationKind kind)
    {
        var snapshot = state.Session ?? throw new InvalidOperationException("A session event needs a session.");
        state.PendingEvents.Add(new SessionEvent(snapshot.LiveId, snapshot.MentorId, kind, snapshot.Title, snapshot.ScheduledStart, clock.GetUtcNow()));
        await reminders.RegisterOrUpdateReminder(session, ReminderName, options.Value.RetryPeriod, options.Value.RetryPeriod);
    }

    /// <summary>After the write: hands staged events to their fan-outs, then arms the reminder for what is left.</summary>
    public async Task FlushAsync(GrainId session, LiveSessionState state, Func<Task> writeState)
    {
        if (state.PendingEvents.Count > 0)
        {
            try
            {
                foreach (var pending in state.PendingEvents)
                {
                    if (pending.Kind.IsForMentor())
                    {
                        // One row, keyed (live, user, kind) like every inbox row, so a retried flush adds none.
                        var (title, body) = NotificationText.For(pending);
                        await inbox.RecordForUserAsync(pending, pending.MentorId, title, body, CancellationToken.None);
                        continue;
                    }

                    await grains.GetGrain<INotificationFanOutGrain>(NotificationFanOut.KeyFor(pending.LiveId, pending.Kind)).StartAsync(pending);
                }

                state.PendingEvents.Clear();
                await writeState();
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // The state change stands and the event stays staged; the reminder publishes it later.
                LogPublishFailed(logger, exception, state.Session?.LiveId, state.PendingEvents.Count);
                return;
            }
        }

        await ArmReminderAsync(session, state);
    }

    /// <summary>The reminder tick: publish what is staged, and stage the pre-start notice once it is due.</summary>
    public async Task OnReminderAsync(GrainId session, LiveSessionState state, Func<Task> writeState)
    {
        if (PreStartNoticeDue(state) is { } due && due <= clock.GetUtcNow())
        {
            await StageAsync(session, state, NotificationKind.Reminder);
            state.PreStartNoticeStaged = true;
            await writeState();
        }

        await FlushAsync(session, state, writeState);
    }

    private async Task ArmReminderAsync(GrainId session, LiveSessionState state)
    {
        if (state.PendingEvents.Count > 0)
        {
            return;
        }

        if (PreStartNoticeDue(state) is { } due)
        {
            var wait = due - clock.GetUtcNow();
            wait = wait < TimeSpan.Zero ? TimeSpan.Zero : wait > MaxReminderDue ? MaxReminderDue : wait;
            await reminders.RegisterOrUpdateReminder(session, ReminderName, wait, options.Value.RetryPeriod);
            return;
        }

        if (await reminders.GetReminder(session, ReminderName) is { } reminder)
        {
            await reminders.UnregisterReminder(session, reminder);
        }
    }

    /// <summary>
    /// When the "starting soon" notice is due, or null when none is owed: only a session still scheduled gets one,
    /// once, and only if it was scheduled well before the lead time (otherwise "scheduled" already said it all).
    /// </summary>
    private DateTimeOffset? PreStartNoticeDue(LiveSessionState state)
    {
        if (state.PreStartNoticeStaged || state.Session is not { State: SessionState.Scheduled } session)
        {
            return null;
        }

        var due = session.ScheduledStart - options.Value.PreStartLead;
        return session.CreatedAt < due ? due : null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing {Count} notification event(s) of session {LiveId} failed; the reminder retries")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, string? liveId, int count);
}
