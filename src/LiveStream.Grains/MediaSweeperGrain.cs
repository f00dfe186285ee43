using LiveStream.Abstractions.Sessions;
using LiveStream.Infrastructure.Media;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LiveStream.Grains;

/// <summary>
/// Paces <see cref="AwsMediaSweeper"/>: a grain timer sweeps every <see cref="AwsMediaOptions.SweepInterval"/> and
/// keeps the activation alive; the reminder (at least a minute apart) only brings the activation back after its silo
/// died, and sweeps when the timer has fallen behind. A single activation cluster-wide means no lease is needed.
/// </summary>
public sealed partial class MediaSweeperGrain(
    AwsMediaSweeper sweeper, IOptions<AwsMediaOptions> options, TimeProvider clock, ILogger<MediaSweeperGrain> logger)
    : Grain, IMediaSweeperGrain, IRemindable
{
    private const string ReminderName = "sweep";

    // Orleans refuses reminder periods under a minute.
    private static readonly TimeSpan MinimumReminderPeriod = TimeSpan.FromMinutes(1);

    private IGrainTimer? _timer;
    private DateTimeOffset _lastSweep = DateTimeOffset.MinValue;

    public async Task EnsureScheduledAsync()
    {
        var interval = options.Value.SweepInterval;
        await this.RegisterOrUpdateReminder(ReminderName, Max(interval, MinimumReminderPeriod), Max(interval, MinimumReminderPeriod));
        StartTimer();
    }

    public async Task<int> SweepAsync()
    {
        _lastSweep = clock.GetUtcNow();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            var swept = await sweeper.SweepAsync(InUseAsync, timeout.Token);
            return swept.Count;
        }
        catch (Exception exception)
        {
            // A failed sweep is retried by the next tick; it must not take the timer or the reminder down.
            LogSweepFailed(exception);
            return 0;
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        StartTimer();
        if (clock.GetUtcNow() - _lastSweep >= options.Value.SweepInterval)
        {
            await SweepAsync();
        }
    }

    /// <summary>
    /// Whether the session may still own resources: not yet over, or ended and still waiting for its recording's
    /// harvest (which reads the origin endpoint). Unknown, cancelled, failed, recorded or given up: not in use.
    /// </summary>
    private async Task<bool> InUseAsync(string liveId, CancellationToken cancellationToken)
    {
        var session = await GrainFactory.GetGrain<ILiveSessionGrain>(liveId).GetAsync();
        return session is { State: SessionState.Scheduled or SessionState.Starting or SessionState.Live or SessionState.Ending }
            or { State: SessionState.Ended, RecordingFailure: null };
    }

    private void StartTimer()
    {
        _timer ??= this.RegisterGrainTimer(
            async _ => await SweepAsync(),
            new GrainTimerCreationOptions(options.Value.SweepFirstAfter, options.Value.SweepInterval) { KeepAlive = true });
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Media sweep failed; the next tick tries again")]
    private partial void LogSweepFailed(Exception exception);
}
