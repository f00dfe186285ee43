namespace LiveStream.Abstractions.Sessions;

/// <summary>
/// The cluster's one sweeper of AWS media resources no session in use owns (key <see cref="Key"/>): a single
/// activation, so one silo sweeps at a time; a reminder brings it back after its silo dies.
/// </summary>
[Alias("livestream.media-sweeper")]
public interface IMediaSweeperGrain : IGrainWithStringKey
{
    public const string Key = "aws";

    /// <summary>Registers the sweep reminder (idempotent; every silo asks at start) and starts sweeping in this activation.</summary>
    [Alias("ensure-scheduled")]
    Task EnsureScheduledAsync();

    /// <summary>One sweep now; answers how many resources it deleted.</summary>
    [Alias("sweep")]
    Task<int> SweepAsync();
}
