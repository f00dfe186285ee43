namespace LiveStream.Abstractions.Sessions;

/// <summary>
/// One live session: the single source of truth for its state machine. Keyed by live id.
/// </summary>
[Alias("livestream.live-session")]
public interface ILiveSessionGrain : IGrainWithStringKey
{
    /// <summary>Null when no session with this id was ever scheduled.</summary>
    [Alias("get")]
    Task<SessionSnapshot?> GetAsync();

    /// <summary>Creates the session. Idempotent for the same definition; a different one is a conflict.</summary>
    [Alias("schedule")]
    Task<SessionSnapshot> ScheduleAsync(SessionDefinition definition);

    /// <summary>Idempotent: cancelling a cancelled session succeeds; cancelling one that went live is a conflict.</summary>
    [Alias("cancel")]
    Task<SessionSnapshot> CancelAsync();

    /// <summary>The ingest URL and secret stream key (created on first use); only before the session ends.</summary>
    [Alias("get-ingest")]
    Task<SessionIngest> GetIngestAsync();

    /// <summary>Creates the media channel and waits for the publisher. Idempotent while starting or live; a conflict once over.</summary>
    [Alias("start")]
    Task<SessionSnapshot> StartAsync();

    /// <summary>Stops the channel and produces the recording. Idempotent once ending; a conflict before the session started.</summary>
    [Alias("stop")]
    Task<SessionSnapshot> StopAsync();

    /// <summary>Media event: a publisher connected with a stream key. True accepts it; a wrong key or a second publisher is refused.</summary>
    [Alias("authorize-publish")]
    Task<bool> AuthorizePublishAsync(PublishAttempt attempt);

    /// <summary>Media event: the publisher with this connection id went away. Late or duplicate events are ignored.</summary>
    [Alias("publish-ended")]
    Task PublishEndedAsync(string connectionId);

    /// <summary>Media event: the recording is available (AWS: S3 object created). Idempotent.</summary>
    [Alias("recording-ready")]
    Task RecordingReadyAsync(string recordingUrl);
}
