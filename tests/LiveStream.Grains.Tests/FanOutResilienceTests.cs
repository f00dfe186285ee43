using System.Diagnostics;
using LiveStream.Abstractions.Mentees;
using LiveStream.Abstractions.Notifications;
using LiveStream.Testing;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace LiveStream.Grains.Tests;

/// <summary>
/// Acceptance: a two-silo cluster whose queue delivers every message twice loses the silo running a fan-out
/// half-way through; every follower still ends with exactly one notification and one push per device.
/// Its own cluster, because the test kills one of its silos.
/// </summary>
public sealed class FanOutResilienceTests
{
    private const int Followers = 500;
    private const int LateUnfollowers = 10;

    [Fact]
    public async Task Scheduling_notifies_500_followers_once_despite_duplicate_delivery_and_a_silo_killed_mid_fan_out()
    {
        // Arrange: small pages with a pause between them, so the fan-out is still running when the silo dies.
        await using var database = await TestDatabase.CreateAsync();
        var builder = new InProcessTestClusterBuilder(initialSilosCount: 2);
        builder.ConfigureSilo((_, silo) =>
        {
            TestSilo.Configure(silo, database.ConnectionString, new Dictionary<string, string?>
            {
                ["Notifications:FanOutPageSize"] = "50",
                ["Notifications:FanOutChunkSize"] = "16",
                ["Notifications:FanOutPagePause"] = "00:00:00.300",
                ["Notifications:RetryPeriod"] = "00:00:01",
            });
            // Declare a killed silo dead within seconds, so its queues and reminders move to the survivor.
            silo.Configure<ClusterMembershipOptions>(options =>
            {
                options.ProbeTimeout = TimeSpan.FromSeconds(1);
                options.NumMissedProbesLimit = 2;
                options.NumVotesForDeathDeclaration = 1;
                options.TableRefreshTimeout = TimeSpan.FromSeconds(1);
                options.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(2);
            });
        });
        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        var world = new NotificationWorld(cluster.Client, database);
        var mentorId = await world.CreateMentorAsync();
        var followers = await world.CreateFollowersAsync(mentorId, Followers, prefix: "a");
        // Their ids sort after every other follower's, so the key-ordered fan-out reaches them last.
        var unfollowers = await world.CreateFollowersAsync(mentorId, LateUnfollowers, prefix: "z");

        // Act
        var watch = Stopwatch.StartNew();
        var liveId = await world.ScheduleAsync(mentorId);
        await Task.WhenAll(unfollowers.Select(id => cluster.Client.GetGrain<IMenteeGrain>(id).UnfollowAsync(mentorId)));
        var fanOut = cluster.Client.GetGrain<INotificationFanOutGrain>(NotificationFanOut.KeyFor(liveId, NotificationKind.Scheduled));
        FanOutProgress atKill;
        while ((atKill = await fanOut.GetProgressAsync()).Enqueued < 100)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "the fan-out did not get going");
            await Task.Delay(20);
        }

        var host = await cluster.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(fanOut);
        var victim = cluster.Silos.Single(silo => silo.SiloAddress.Equals(host));
        await cluster.KillSiloAsync(victim);

        await world.WaitForNotificationsAsync(liveId, NotificationKind.Scheduled, Followers);
        await WaitUntilSettledAsync(world, liveId);

        // Assert: the silo died mid-way, and the fan-out resumed from its cursor rather than starting over.
        Assert.False(atKill.Completed);
        Assert.InRange(atKill.Enqueued, 100, Followers - 1);
        var progress = await fanOut.GetProgressAsync();
        Assert.True(progress.Completed);
        Assert.True(progress.Resumptions >= 1, "the fan-out was not resumed by a new activation");
        Assert.Equal(Followers, progress.Enqueued);

        Assert.Equal(Followers, await world.CountNotificationsAsync(liveId, NotificationKind.Scheduled));
        Assert.Equal(Followers, await world.CountDistinctRecipientsAsync(liveId, NotificationKind.Scheduled));
        Assert.Equal(Followers, await world.CountSentPushesAsync(liveId, NotificationKind.Scheduled));
        Assert.Equal(0L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM notifications WHERE live_id = @live AND mentee_id = ANY(@ids)", ("live", liveId), ("ids", unfollowers.ToArray())));
        Assert.Equal(0L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM notifications WHERE live_id = @live AND NOT (mentee_id = ANY(@ids))", ("live", liveId), ("ids", followers.ToArray())));
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM stream_queue_dead_letters"));
    }

    private static async Task WaitUntilSettledAsync(NotificationWorld world, string liveId)
    {
        // The client may still be failing over from the dead silo's gateway.
        var deadline = DateTime.UtcNow + NotificationWorld.Patience;
        while (true)
        {
            try
            {
                await world.WaitUntilSettledAsync(liveId, NotificationKind.Scheduled);
                return;
            }
            catch (SiloUnavailableException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }
}
