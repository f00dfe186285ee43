using LiveStream.Abstractions;
using LiveStream.Abstractions.Mentees;
using LiveStream.Abstractions.Mentors;

namespace LiveStream.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class MenteeGrainTests(ClusterFixture fixture)
{
    private async Task<string> CreateMentorAsync()
    {
        var mentorId = Ids.New("mentor");
        await fixture.Grains.GetGrain<IMentorGrain>(mentorId).UpsertProfileAsync(new MentorProfileUpdate("Ada", null, null));
        return mentorId;
    }

    private async Task<(string Id, IMenteeGrain Grain)> CreateMenteeAsync()
    {
        var menteeId = Ids.New("mentee");
        var mentee = fixture.Grains.GetGrain<IMenteeGrain>(menteeId);
        await mentee.UpsertProfileAsync("Grace");
        return (menteeId, mentee);
    }

    private Task<long> FollowRowsAsync(string mentorId, string menteeId) =>
        fixture.Database.ScalarAsync<long>("SELECT count(*) FROM follows WHERE mentor_id = @m AND mentee_id = @e", ("m", mentorId), ("e", menteeId));

    [Fact]
    public async Task Following_stores_one_follower_edge_in_postgres_even_when_repeated()
    {
        var mentorId = await CreateMentorAsync();
        var (menteeId, mentee) = await CreateMenteeAsync();

        await mentee.FollowAsync(mentorId);
        await mentee.FollowAsync(mentorId);

        Assert.Equal(1, await FollowRowsAsync(mentorId, menteeId));
        Assert.Equal(mentorId, Assert.Single((await mentee.GetAsync())!.Following));
    }

    [Fact]
    public async Task Unfollowing_removes_the_edge_and_is_idempotent()
    {
        var mentorId = await CreateMentorAsync();
        var (menteeId, mentee) = await CreateMenteeAsync();
        await mentee.FollowAsync(mentorId);

        await mentee.UnfollowAsync(mentorId);
        await mentee.UnfollowAsync(mentorId);
        await fixture.Cluster.DeactivateAsync(mentee);

        Assert.Equal(0, await FollowRowsAsync(mentorId, menteeId));
        Assert.Empty((await mentee.GetAsync())!.Following);
    }

    [Fact]
    public async Task Following_an_unknown_mentor_is_not_found_and_stores_nothing()
    {
        var (menteeId, mentee) = await CreateMenteeAsync();
        var ghost = Ids.New("ghost");

        var error = await Assert.ThrowsAsync<DomainException>(() => mentee.FollowAsync(ghost));

        Assert.Equal((DomainErrorKind.NotFound, "mentorId"), (error.Kind, error.Field));
        Assert.Equal(0, await FollowRowsAsync(ghost, menteeId));
    }

    [Fact]
    public async Task Devices_survive_deactivation_and_are_capped()
    {
        var (_, mentee) = await CreateMenteeAsync();
        for (var i = 0; i < MenteeGrain.MaxDevices; i++)
        {
            await mentee.RegisterDeviceAsync($"device-{i}", i % 2 == 0 ? PushPlatform.Apns : PushPlatform.Fcm, $"token-{i}");
        }

        var error = await Assert.ThrowsAsync<DomainException>(() => mentee.RegisterDeviceAsync("one-too-many", PushPlatform.Fcm, "token"));
        await fixture.Cluster.DeactivateAsync(mentee);
        var view = await mentee.GetAsync();

        Assert.Equal((DomainErrorKind.Invalid, "deviceId"), (error.Kind, error.Field));
        Assert.Equal(MenteeGrain.MaxDevices, view!.Devices.Length);
        Assert.Equal("token-3", view.Devices.Single(device => device.DeviceId == "device-3").Token);
    }

    [Fact]
    public async Task Re_registering_a_device_replaces_its_token()
    {
        var (_, mentee) = await CreateMenteeAsync();

        await mentee.RegisterDeviceAsync("phone", PushPlatform.Apns, "old");
        await mentee.RegisterDeviceAsync("phone", PushPlatform.Apns, "new");

        Assert.Equal("new", Assert.Single((await mentee.GetAsync())!.Devices).Token);
    }
}
