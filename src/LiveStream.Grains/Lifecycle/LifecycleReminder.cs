using Orleans.Timers;

namespace LiveStream.Grains.Lifecycle;

/// <summary>
/// The session's one lifecycle reminder, always due at the lifecycle's next wake-up (a deadline, or the retry of a
/// pending effect), so timeouts and effect retries survive the loss of the silo.
/// </summary>
internal sealed class LifecycleReminder(IReminderRegistry reminders, TimeProvider clock, TimeSpan retryDelay)
{
    public const string Name = "media-deadline";

    /// <summary>A due time already past would count as the first tick and wait a whole period, so it is at least this.</summary>
    private static readonly TimeSpan MinimumDue = TimeSpan.FromSeconds(1);

    /// <summary>The period is only a safety net (a missed tick is retried); the due time carries the deadline.</summary>
    private static readonly TimeSpan Period = TimeSpan.FromMinutes(1);

    /// <summary>
    /// When the grain must wake up next. Effects still pending without a retry time (this activation is carrying them
    /// out) get a backstop, so they are retried should the activation die.
    /// </summary>
    public DateTimeOffset? WakeUp(LifecycleState lifecycle, DateTimeOffset? armed)
    {
        var next = lifecycle.NextWakeUp();
        if (lifecycle.Outbox.Count > 0 && lifecycle.RetryAt is null)
        {
            var backstop = armed ?? clock.GetUtcNow() + retryDelay;
            next = next is null || backstop < next ? backstop : next;
        }

        return next;
    }

    public async Task ArmAsync(GrainId grain, DateTimeOffset? wakeUp)
    {
        if (wakeUp is null)
        {
            if (await reminders.GetReminder(grain, Name) is { } reminder)
            {
                await reminders.UnregisterReminder(grain, reminder);
            }

            return;
        }

        var due = wakeUp.Value - clock.GetUtcNow();
        await reminders.RegisterOrUpdateReminder(grain, Name, due < MinimumDue ? MinimumDue : due, Period);
    }
}
