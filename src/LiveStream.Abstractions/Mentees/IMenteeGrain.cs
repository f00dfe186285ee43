namespace LiveStream.Abstractions.Mentees;

/// <summary>A mentee: profile, the mentors they follow, and their push devices. Keyed by mentee id.</summary>
[Alias("livestream.mentee")]
public interface IMenteeGrain : IGrainWithStringKey
{
    [Alias("get")]
    [Idempotent]
    Task<MenteeView?> GetAsync(CancellationToken cancellationToken = default);

    [Alias("upsert-profile")]
    [Idempotent]
    Task<MenteeProfile> UpsertProfileAsync(string displayName);

    /// <summary>Idempotent. The follower edge is stored outside this grain so a mentor's fan-out can page it.</summary>
    /// <exception cref="DomainException">NotFound for an unknown mentee or mentor.</exception>
    [Alias("follow")]
    [Idempotent]
    Task FollowAsync(string mentorId, CancellationToken cancellationToken = default);

    /// <summary>Idempotent.</summary>
    [Alias("unfollow")]
    [Idempotent]
    Task UnfollowAsync(string mentorId, CancellationToken cancellationToken = default);

    /// <exception cref="DomainException">NotFound for an unknown mentee.</exception>
    [Alias("register-device")]
    [Idempotent]
    Task<Device> RegisterDeviceAsync(string deviceId, PushPlatform platform, string token, CancellationToken cancellationToken = default);
}
