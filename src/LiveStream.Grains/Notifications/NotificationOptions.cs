namespace LiveStream.Grains.Notifications;

/// <summary>Fan-out and session-event settings, bound from the configuration section <c>Notifications</c>.</summary>
public sealed class NotificationOptions
{
    public const string Section = "Notifications";

    /// <summary>Followers read and enqueued per page; the fan-out holds at most one page in memory.</summary>
    public int FanOutPageSize { get; set; } = 1000;

    /// <summary>
    /// Followers per queue message: a page is split into chunks of this size, each recorded by one statement on
    /// delivery. Bounded so a chunk of the longest ids stays far below SQS's 256 KiB message limit.
    /// </summary>
    public int FanOutChunkSize { get; set; } = 250;

    /// <summary>Pause between pages, to spread a very large fan-out's load on the queue (0 = none).</summary>
    public TimeSpan FanOutPagePause { get; set; } = TimeSpan.Zero;

    /// <summary>How long before the scheduled start followers get the "starting soon" reminder.</summary>
    public TimeSpan PreStartLead { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Period of the reminders that retry an unpublished session event and resume an interrupted fan-out
    /// (at least Orleans' minimum reminder period, one minute by default).
    /// </summary>
    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromMinutes(1);

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (FanOutPageSize is < 1 or > 10_000)
        {
            errors.Add($"{Section}:{nameof(FanOutPageSize)} must be between 1 and 10000.");
        }

        if (FanOutChunkSize is < 1 or > 1000)
        {
            errors.Add($"{Section}:{nameof(FanOutChunkSize)} must be between 1 and 1000.");
        }

        if (FanOutPagePause < TimeSpan.Zero || FanOutPagePause > TimeSpan.FromMinutes(1))
        {
            errors.Add($"{Section}:{nameof(FanOutPagePause)} must be between 0 and 1 minute.");
        }

        if (PreStartLead <= TimeSpan.Zero || PreStartLead > TimeSpan.FromDays(1))
        {
            errors.Add($"{Section}:{nameof(PreStartLead)} must be positive and at most one day.");
        }

        if (RetryPeriod < TimeSpan.FromSeconds(1) || RetryPeriod > TimeSpan.FromHours(1))
        {
            errors.Add($"{Section}:{nameof(RetryPeriod)} must be between 1 second and 1 hour.");
        }

        return errors;
    }
}
