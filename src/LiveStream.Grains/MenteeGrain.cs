using LiveStream.Abstractions;
using LiveStream.Abstractions.Mentees;
using LiveStream.Abstractions.Mentors;
using LiveStream.Infrastructure.Notifications;
using LiveStream.Infrastructure.Postgres;

namespace LiveStream.Grains;

[GenerateSerializer]
[Alias("livestream.mentee-state")]
public sealed class MenteeState
{
    [Id(0)]
    public MenteeProfile? Profile { get; set; }

    /// <summary>A mirror of this mentee's rows in the follows table, for their own page.</summary>
    [Id(1)]
    public SortedSet<string> Following { get; set; } = new(StringComparer.Ordinal);

    [Id(2)]
    public Dictionary<string, Device> Devices { get; set; } = new(StringComparer.Ordinal);
}

public sealed class MenteeGrain(
    [PersistentState("mentee", GrainStorage.Name)] IPersistentState<MenteeState> state,
    IFollowStore follows,
    PushDeviceRegistry pushDevices,
    TimeProvider clock) : Grain, IMenteeGrain
{
    public const int MaxFollowing = 1000;
    public const int MaxDevices = 10;

    private string MenteeId => this.GetPrimaryKeyString();

    public Task<MenteeView?> GetAsync(CancellationToken cancellationToken = default) => Task.FromResult(
        state.State.Profile is { } profile
            ? new MenteeView(profile, [.. state.State.Following], [.. state.State.Devices.Values.OrderBy(device => device.DeviceId, StringComparer.Ordinal)])
            : null);

    public async Task<MenteeProfile> UpsertProfileAsync(string displayName)
    {
        Validation.RequireText("displayName", displayName, Limits.MaxDisplayNameLength);
        var profile = new MenteeProfile(MenteeId, displayName.Trim(), clock.GetUtcNow());
        state.State.Profile = profile;
        await state.WriteStateAsync();
        return profile;
    }

    public async Task FollowAsync(string mentorId, CancellationToken cancellationToken = default)
    {
        RequireProfile();
        Validation.RequireId("mentorId", mentorId);
        if (!state.State.Following.Contains(mentorId) && state.State.Following.Count >= MaxFollowing)
        {
            throw DomainException.Invalid("mentorId", $"A mentee can follow at most {MaxFollowing} mentors.");
        }

        if (await GrainFactory.GetGrain<IMentorGrain>(mentorId).GetAsync() is null)
        {
            throw DomainException.NotFound("mentorId", $"Mentor '{mentorId}' does not exist.");
        }

        // The table is what the fan-out reads, so it is written first; the mirror in state follows it, and
        // a retry after a failure between the two converges because both writes are idempotent.
        await follows.FollowAsync(mentorId, MenteeId, cancellationToken);
        if (state.State.Following.Add(mentorId))
        {
            await state.WriteStateAsync();
        }
    }

    public async Task UnfollowAsync(string mentorId, CancellationToken cancellationToken = default)
    {
        RequireProfile();
        Validation.RequireId("mentorId", mentorId);
        await follows.UnfollowAsync(mentorId, MenteeId, cancellationToken);
        if (state.State.Following.Remove(mentorId))
        {
            await state.WriteStateAsync();
        }
    }

    public async Task<Device> RegisterDeviceAsync(string deviceId, PushPlatform platform, string token, CancellationToken cancellationToken = default)
    {
        RequireProfile();
        Validation.RequireId("deviceId", deviceId);
        Validation.RequireText("token", token, Limits.MaxDeviceTokenLength);
        if (!state.State.Devices.ContainsKey(deviceId) && state.State.Devices.Count >= MaxDevices)
        {
            throw DomainException.Invalid("deviceId", $"A mentee can register at most {MaxDevices} devices.");
        }

        var device = new Device(deviceId, platform, token, clock.GetUtcNow());
        // The push registry (and the provider's endpoint) first, like the follows table: a retry converges.
        await pushDevices.RegisterAsync(MenteeId, device, cancellationToken);
        state.State.Devices[deviceId] = device;
        await state.WriteStateAsync();
        return device;
    }

    private void RequireProfile()
    {
        if (state.State.Profile is null)
        {
            throw DomainException.NotFound("menteeId", $"Mentee '{MenteeId}' has no profile.");
        }
    }
}
