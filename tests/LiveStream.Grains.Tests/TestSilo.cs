using LiveStream.Abstractions.Notifications;
using LiveStream.Grains;
using LiveStream.Grains.Hosting;
using LiveStream.Infrastructure.Media;
using LiveStream.Infrastructure.Postgres;
using LiveStream.Infrastructure.Streaming;
using LiveStream.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Configuration;

namespace LiveStream.Grains.Tests;

/// <summary>
/// A silo as the host builds one (<see cref="LiveStreamSilo.AddLiveStreamSilo"/>), over a test database, with the
/// stores and the local media provider the host would register. Settings are test-sized (short retry
/// periods and leases, two followers per fan-out chunk) and every queue message is delivered twice (the test-only
/// <see cref="DuplicatingQueueStreams"/>), so every grain test exercises idempotency.
/// </summary>
public static class TestSilo
{
    /// <summary>The local pipeline's media root in grain tests (the playback probe reads playlists here).</summary>
    public static readonly string MediaDirectory = Path.Combine(Path.GetTempPath(), "livestream-grain-tests-media");

    public static void Configure(ISiloBuilder silo, string connectionString, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Notifications:RetryPeriod"] = "00:00:02",
            ["Notifications:FanOutPageSize"] = "100",
            // Tiny chunks, so a handful of followers already spans several queue messages.
            ["Notifications:FanOutChunkSize"] = "2",
            ["Notifications:PreStartLead"] = "00:10:00",
            ["Media:Local:Directory"] = MediaDirectory,
            ["Streaming:Queue:QueueCount"] = "4",
            ["Streaming:Queue:PollInterval"] = "00:00:00.050",
            ["Streaming:Queue:VisibilityTimeout"] = "00:00:05",
            ["Streaming:Queue:BatchSize"] = "64",
            ["Streaming:Queue:RetryBaseDelay"] = "00:00:00.200",
            ["Streaming:Queue:RetryMaxDelay"] = "00:00:02",
            ["Streaming:Queue:DeliveryRetryWindow"] = "00:00:02",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        silo.AddLiveStreamSilo(configuration, connectionString);
        // Production keeps Orleans' one-minute floor; tests retry within seconds.
        silo.Configure<ReminderOptions>(options => options.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
        silo.Services.AddSingleton(_ => new LiveStreamDataSources(NpgsqlDataSource.Create(connectionString)));
        silo.Services.AddSingleton<IFollowStore, PostgresFollowStore>();
        silo.Services.AddSingleton<IInteractionStore, PostgresInteractionStore>();
        silo.Services.AddSingleton<ISessionIndexStore, PostgresSessionIndexStore>();
        silo.Services.AddLiveStreamMedia(configuration);
        silo.Services.DuplicateEveryQueueMessage(NotificationStreams.Provider);
    }
}
