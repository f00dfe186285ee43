namespace LiveStream.Abstractions.Sessions;

/// <summary>
/// One live session: the single source of truth for its state machine. Keyed by live id.
/// </summary>
[Alias("livestream.live-session")]
public interface ILiveSessionGrain : IGrainWithStringKey
{
    /// <summary>Null when no session with this id was ever scheduled.</summary>
    [Alias("get")]
    [Idempotent]
    Task<SessionSnapshot?> GetAsync();

    /// <summary>Creates the session. Idempotent for the same definition; a different one is a conflict.</summary>
    [Alias("schedule")]
    [Idempotent]
    Task<SessionSnapshot> ScheduleAsync(SessionDefinition definition);

    /// <summary>Idempotent: cancelling a cancelled session succeeds; cancelling one that went live is a conflict.</summary>
    [Alias("cancel")]
    [Idempotent]
    Task<SessionSnapshot> CancelAsync();
}
