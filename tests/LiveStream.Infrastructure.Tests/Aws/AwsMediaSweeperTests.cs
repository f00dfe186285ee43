using System.Diagnostics.Metrics;
using LiveStream.Infrastructure.Aws;
using LiveStream.Infrastructure.Media;
using LiveStream.Infrastructure.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace LiveStream.Infrastructure.Tests.Aws;

/// <summary>The sweeper against the emulator: what it deletes, what it keeps, and when.</summary>
public sealed class AwsMediaSweeperTests(MotoFixture moto) : IClassFixture<MotoFixture>
{
    private const string RoleArn = "arn:aws:iam::123456789012:role/MediaLiveAccessRole";

    [Fact]
    public async Task A_stray_sessions_resources_are_deleted_once_unused_for_the_grace_and_a_session_in_uses_are_kept()
    {
        // Arrange: the resources of a session nobody owns, of a session in use, and an untagged channel of someone else.
        using var clients = new AwsTestClients(moto.Server.ServiceUrl);
        var strayId = $"stray-{Guid.NewGuid():N}";
        var liveId = $"live-{Guid.NewGuid():N}";
        var stray = await CreateSessionResourcesAsync(clients, strayId);
        var live = await CreateSessionResourcesAsync(clients, liveId);
        var foreign = $"livestream-foreign-{Guid.NewGuid():N}";
        await clients.MediaPackage.CreateChannelAsync(foreign, "not ours: no session tag", null, CancellationToken.None);
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var sweeper = new AwsMediaSweeper(
            clients.MediaLive, clients.MediaPackage,
            Microsoft.Extensions.Options.Options.Create(new AwsMediaOptions { SweepGrace = TimeSpan.FromMinutes(10) }),
            clock, services.GetRequiredService<IMeterFactory>(), NullLogger<AwsMediaSweeper>.Instance);
        var counted = new List<string>();
        using var listener = CountSwept(counted);
        var asked = new List<string>();
        Task<bool> InUse(string id, CancellationToken _)
        {
            asked.Add(id);
            // Only the stray is unused (other tests of this class share the emulator).
            return Task.FromResult(id != strayId);
        }

        // Act: a first sweep sees the stray unused; the next one, after the grace, deletes it.
        var first = await sweeper.SweepAsync(InUse, CancellationToken.None);
        clock.Now += TimeSpan.FromMinutes(11);
        var second = await sweeper.SweepAsync(InUse, CancellationToken.None);

        // Assert: nothing deleted within the grace, then exactly the stray's four, each counted once by kind.
        Assert.Empty(first);
        Assert.Equal(
            [(AwsMediaSweeper.MediaLiveChannelKind, stray.ChannelId), (AwsMediaSweeper.EndpointKind, stray.EndpointId),
             (AwsMediaSweeper.PackageChannelKind, stray.PackageChannelId), (AwsMediaSweeper.MediaLiveInputKind, stray.InputId)],
            second.Select(r => (r.Kind, r.Id)));
        Assert.All(second, r => Assert.Equal(strayId, r.LiveId));
        Assert.Equal(second.Select(r => r.Kind).Order(), counted.Order());
        Assert.Contains(strayId, asked);
        Assert.Contains(liveId, asked);

        // The emulator, like MediaLive, reports DELETING and then DELETED.
        Assert.Contains((await clients.MediaLive.DescribeChannelAsync(stray.ChannelId, CancellationToken.None)).State, new[] { "DELETING", "DELETED" });
        Assert.Contains((await clients.MediaLive.DescribeInputAsync(stray.InputId, CancellationToken.None)).State, new[] { "DELETING", "DELETED" });
        Assert.True((await Assert.ThrowsAsync<AwsServiceException>(() => clients.MediaPackage.DescribeChannelAsync(stray.PackageChannelId, CancellationToken.None))).IsNotFound);
        var endpoints = await clients.MediaPackage.ListOriginEndpointsAsync(CancellationToken.None);
        Assert.DoesNotContain(endpoints, e => e.Id == stray.EndpointId);

        Assert.Equal(MediaLiveChannelStates.Idle, (await clients.MediaLive.DescribeChannelAsync(live.ChannelId, CancellationToken.None)).State);
        Assert.DoesNotContain((await clients.MediaLive.DescribeInputAsync(live.InputId, CancellationToken.None)).State, new[] { "DELETING", "DELETED" });
        await clients.MediaPackage.DescribeChannelAsync(live.PackageChannelId, CancellationToken.None);
        Assert.Contains(endpoints, e => e.Id == live.EndpointId);
        await clients.MediaPackage.DescribeChannelAsync(foreign, CancellationToken.None);
    }

    [Fact]
    public async Task A_resource_whose_session_comes_back_into_use_within_the_grace_is_kept_and_its_clock_restarts()
    {
        // Arrange
        using var clients = new AwsTestClients(moto.Server.ServiceUrl);
        var liveId = $"flap-{Guid.NewGuid():N}";
        var resources = await CreateSessionResourcesAsync(clients, liveId);
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var sweeper = new AwsMediaSweeper(
            clients.MediaLive, clients.MediaPackage,
            Microsoft.Extensions.Options.Options.Create(new AwsMediaOptions { SweepGrace = TimeSpan.FromMinutes(10) }),
            clock, services.GetRequiredService<IMeterFactory>(), NullLogger<AwsMediaSweeper>.Instance);
        var inUse = false;

        // Act: unused, then in use (a pre-warm that was saved late), then unused again for less than the grace.
        await sweeper.SweepAsync((_, _) => Task.FromResult(inUse), CancellationToken.None);
        clock.Now += TimeSpan.FromMinutes(6);
        inUse = true;
        await sweeper.SweepAsync((_, _) => Task.FromResult(inUse), CancellationToken.None);
        clock.Now += TimeSpan.FromMinutes(6);
        inUse = false;
        var swept = await sweeper.SweepAsync((_, _) => Task.FromResult(inUse), CancellationToken.None);

        // Assert
        Assert.DoesNotContain(swept, r => r.LiveId == liveId);
        Assert.Equal(MediaLiveChannelStates.Idle, (await clients.MediaLive.DescribeChannelAsync(resources.ChannelId, CancellationToken.None)).State);
    }

    private sealed record SessionResources(string ChannelId, string InputId, string PackageChannelId, string EndpointId);

    /// <summary>What a start creates for a session, tagged as the provider tags it.</summary>
    private static async Task<SessionResources> CreateSessionResourcesAsync(AwsTestClients clients, string liveId)
    {
        var tags = new Dictionary<string, string> { [AwsMediaProvider.TagKey] = liveId };
        var name = AwsMediaProvider.ChannelName(liveId);
        var input = await clients.MediaLive.CreateRtmpPushInputAsync(new CreateRtmpPushInputRequest(name, ["live/key"], ["1234567"]) { Tags = tags }, CancellationToken.None);
        await clients.MediaPackage.CreateChannelAsync(name, null, tags, CancellationToken.None);
        var endpoint = await clients.MediaPackage.CreateOriginEndpointAsync(new CreateOriginEndpointRequest($"{name}-hls", name) { StartoverWindowSeconds = 3600, Tags = tags }, CancellationToken.None);
        var channel = await clients.MediaLive.CreateChannelAsync(new CreateMediaLiveChannelRequest(name, input.Id, name, RoleArn) { Tags = tags }, CancellationToken.None);
        return new SessionResources(channel.Id, input.Id, name, endpoint.Id);
    }

    private static MeterListener CountSwept(List<string> kinds)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == LiveStreamTelemetry.MeterName && instrument.Name == AwsMediaSweeper.SweptInstrument)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == AwsMediaSweeper.ResourceKindAttribute)
                {
                    lock (kinds)
                    {
                        kinds.AddRange(Enumerable.Repeat((string)tag.Value!, (int)value));
                    }
                }
            }
        });
        listener.Start();
        return listener;
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
