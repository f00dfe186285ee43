using System.Globalization;
using System.Net;
using LiveStream.Testing;

namespace LiveStream.Host.Tests.Observability;

/// <summary>
/// A silo process and an API process of one cluster, both with the Prometheus endpoint on. The silo serves it and
/// the Orleans dashboard on ports of their own (as in production, away from the load balancer's port); the API
/// process serves metrics on its main port.
/// </summary>
public sealed class MetricsFixture : IAsyncLifetime
{
    public const string CallbackSecret = "metrics-tests-callback-secret-00001";
    public const string DashboardPath = "/ops/dashboard";

    private TestDatabase? _database;

    public HostProcess Silo { get; private set; } = null!;

    public HostProcess Api { get; private set; } = null!;

    public int SiloMetricsPort { get; } = FreePorts.Next();

    public int SiloDashboardPort { get; } = FreePorts.Next();

    public Uri SiloMetrics => new($"http://127.0.0.1:{SiloMetricsPort}/metrics");

    public Uri ApiMetrics => new(Api.BaseAddress, "/metrics");

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        var options = new HostProcessOptions(_database.ConnectionString, HostProcess.NewSigningKey())
        {
            Settings = new Dictionary<string, string>
            {
                ["Media:Local:CallbackSecret"] = CallbackSecret,
                ["Observability:Prometheus:Enabled"] = "true",
                ["Streaming:Queue:DepthSampleInterval"] = "00:00:01",
            },
        };
        Silo = await HostProcess.StartAsync(options with
        {
            Role = "silo",
            Settings = new Dictionary<string, string>(options.Settings)
            {
                ["Observability:Prometheus:Port"] = SiloMetricsPort.ToString(CultureInfo.InvariantCulture),
                ["Observability:Dashboard:Enabled"] = "true",
                ["Observability:Dashboard:Path"] = DashboardPath,
                ["Observability:Dashboard:Port"] = SiloDashboardPort.ToString(CultureInfo.InvariantCulture),
            },
        });
        Api = await HostProcess.StartAsync(options with { Role = "api" });
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Api.DisposeAsync();
        await Silo.DisposeAsync();
        await _database!.DisposeAsync();
    }

    /// <summary>A live session of a fresh mentor, taken live through the ingest callback the RTMP server calls.</summary>
    public async Task<(string MentorId, string LiveId, string MentorToken)> LiveSessionAsync(ApiClient api)
    {
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        var liveId = await api.ScheduleLiveSessionAsync(mentorId, token, CallbackSecret);
        return (mentorId, liveId, token);
    }
}

[CollectionDefinition(Name)]
public sealed class MetricsCollection : ICollectionFixture<MetricsFixture>
{
    public const string Name = "metrics";
}

[Collection(MetricsCollection.Name)]
public sealed class MetricsTests(MetricsFixture fixture)
{
    private const string Session = "livestream_session_id";
    private const string Kind = "livestream_reaction_kind";

    [Fact]
    public async Task Each_process_shows_up_in_its_own_scrape_with_role_instance_and_silo_address()
    {
        // Act
        var silo = await PrometheusScrape.ReadAsync(fixture.Http, fixture.SiloMetrics);
        var api = await PrometheusScrape.ReadAsync(fixture.Http, fixture.ApiMetrics);

        // Assert: target_info names the process; every series carries role and instance.
        var siloInfo = Assert.Single(silo.Named("target_info"));
        Assert.Equal("silo", siloInfo.Labels["livestream_role"]);
        Assert.EndsWith(":" + fixture.Silo.ProcessId.ToString(CultureInfo.InvariantCulture), siloInfo.Labels["service_instance_id"], StringComparison.Ordinal);
        Assert.StartsWith($"127.0.0.1:{fixture.Silo.SiloPort}@", siloInfo.Labels["orleans_silo_address"], StringComparison.Ordinal);
        Assert.Equal(fixture.Silo.Options.ClusterId, siloInfo.Labels["orleans_cluster_id"]);
        Assert.All(silo.Samples.Where(s => s.Name != "target_info"), sample => Assert.True(
            sample.Has(("livestream_role", "silo"), ("service_instance_id", siloInfo.Labels["service_instance_id"])), $"{sample.Name} lacks role/instance labels"));

        var apiInfo = Assert.Single(api.Named("target_info"));
        Assert.Equal("api", apiInfo.Labels["livestream_role"]);
        Assert.EndsWith(":" + fixture.Api.ProcessId.ToString(CultureInfo.InvariantCulture), apiInfo.Labels["service_instance_id"], StringComparison.Ordinal);
        Assert.False(apiInfo.Labels.ContainsKey("orleans_silo_address"));

        // Orleans' own meters: the silo's catalog, the client's messaging.
        Assert.Contains(silo.Samples, sample => sample.Name == "orleans_catalog_activations");
        Assert.Contains(api.Samples, sample => sample.Name.StartsWith("orleans_messaging_", StringComparison.Ordinal));

        // Each role reports what it owns: sessions and queues on the silo, viewers on the API front end.
        Assert.NotNull(silo.Value("livestream_sessions_live"));
        Assert.NotEmpty(silo.Named("livestream_queue_depth"));
        Assert.NotNull(api.Value("livestream_viewers"));
        Assert.Null(api.Value("livestream_sessions_live"));
        Assert.Null(silo.Value("livestream_viewers"));
    }

    [Fact]
    public async Task A_live_sessions_viewers_and_reactions_are_visible_and_count_exactly_what_was_posted()
    {
        // Arrange: a live session, two mentees.
        using var api = new ApiClient(fixture.Api.CreateClient());
        var (mentorId, liveId, mentorToken) = await fixture.LiveSessionAsync(api);
        var ada = await api.CreateMenteeAsync(Ids.New("mentee"));
        var bob = await api.CreateMenteeAsync(Ids.New("mentee"));
        var before = await PrometheusScrape.ReadAsync(fixture.Http, fixture.SiloMetrics);
        var clapsBefore = before.Value("livestream_reactions_total", (Kind, "clap")) ?? 0;
        var heartsBefore = before.Value("livestream_reactions_total", (Kind, "heart")) ?? 0;
        var path = $"/mentor/{mentorId}/live/{liveId}/reaction";

        // Act: three viewers on the live feed; three claps (one of them retried) and two hearts.
        await using var first = await SseClient.ConnectAsync(api.Http, path + "/stream", ada);
        await using var second = await SseClient.ConnectAsync(api.Http, path + "/stream", bob);
        var third = await SseClient.ConnectAsync(api.Http, path + "/stream", mentorToken);
        var retried = new Dictionary<string, string> { ["Idempotency-Key"] = "metrics-clap-1" };
        foreach (var (token, reaction, headers) in new[]
        {
            (ada, "clap", retried), (ada, "clap", retried), (ada, "clap", null), (bob, "clap", null), (bob, "heart", null), (ada, "heart", null),
        })
        {
            using var response = await api.SendAsync(HttpMethod.Post, path, new { reaction }, token, headers);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Assert: the API process sees the session's three viewers; the silo its live session and reactions.
        await PrometheusScrape.UntilAsync(fixture.Http, fixture.ApiMetrics,
            scrape => scrape.Value("livestream_session_viewers", (Session, liveId)) == 3 && scrape.Value("livestream_viewers") >= 3,
            $"3 viewers of {liveId}");
        var silo = await PrometheusScrape.UntilAsync(fixture.Http, fixture.SiloMetrics,
            scrape => scrape.Value("livestream_session_reactions_total", (Session, liveId), (Kind, "clap")) == 3,
            $"3 claps of {liveId}");
        Assert.Equal(2, silo.Value("livestream_session_reactions_total", (Session, liveId), (Kind, "heart")));
        Assert.Equal(0, silo.Value("livestream_session_reactions_total", (Session, liveId), (Kind, "like")));
        Assert.Equal(3, silo.Value("livestream_reactions_total", (Kind, "clap")) - clapsBefore);
        Assert.Equal(2, silo.Value("livestream_reactions_total", (Kind, "heart")) - heartsBefore);
        Assert.True(silo.Value("livestream_sessions_live") >= 1);

        // A viewer who leaves is no longer counted; a stopped session drops out of the live figures.
        await third.DisposeAsync();
        await PrometheusScrape.UntilAsync(fixture.Http, fixture.ApiMetrics,
            scrape => scrape.Value("livestream_session_viewers", (Session, liveId)) == 2, $"2 viewers of {liveId} after one left");
        using (var stop = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/stop", token: mentorToken))
        {
            Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        }

        await PrometheusScrape.UntilAsync(fixture.Http, fixture.SiloMetrics,
            scrape => !scrape.Named("livestream_session_reactions_total").Any(sample => sample.Has((Session, liveId))),
            $"no reaction series of {liveId} once it stopped");
    }

    [Fact]
    public async Task Notification_lag_and_queue_depth_are_exported_by_the_silo()
    {
        // Arrange
        using var api = new ApiClient(fixture.Api.CreateClient());
        var mentorId = Ids.New("mentor");
        var menteeId = Ids.New("mentee");
        var mentorToken = await api.CreateMentorAsync(mentorId, "engines");
        var menteeToken = await api.CreateMenteeAsync(menteeId);
        await api.FollowAsync(menteeId, mentorId, menteeToken);

        const string Lag = "livestream_notifications_lag_seconds_count";
        var before = (await PrometheusScrape.ReadAsync(fixture.Http, fixture.SiloMetrics)).Value(Lag, ("livestream_notification_kind", "scheduled")) ?? 0;

        // Act: scheduling notifies the follower through the queue.
        await api.ScheduleAsync(mentorId, "engines", mentorToken);
        await WaitForNotificationAsync(api, menteeId, menteeToken);

        // Assert
        var silo = await PrometheusScrape.UntilAsync(fixture.Http, fixture.SiloMetrics,
            scrape => scrape.Value(Lag, ("livestream_notification_kind", "scheduled")) > before, "a scheduled-notification lag sample");
        var sum = silo.Value("livestream_notifications_lag_seconds_sum", ("livestream_notification_kind", "scheduled"))!.Value;
        Assert.InRange(sum, 0, 120 * silo.Value(Lag, ("livestream_notification_kind", "scheduled"))!.Value);
        var depths = silo.Named("livestream_queue_depth").ToList();
        Assert.Equal(8, depths.Count(d => d.Has(("livestream_queue_state", "ready"), ("messaging_system", "postgresql"))));
        Assert.Equal(8, depths.Count(d => d.Has(("livestream_queue_state", "in_flight"))));
        var deadLetters = Assert.Single(depths, d => d.Has(("livestream_queue_state", "dead_letter")));
        Assert.Equal("livestream-events-dlq", deadLetters.Labels["messaging_destination_name"]);
        Assert.All(depths, depth => Assert.True(depth.Value >= 0));
    }

    [Fact]
    public async Task The_dashboard_answers_on_its_own_port_and_path_and_nowhere_else()
    {
        // Arrange
        var dashboard = new Uri($"http://127.0.0.1:{fixture.SiloDashboardPort}{MetricsFixture.DashboardPath}/");

        // Act
        using var page = await fixture.Http.GetAsync(dashboard);
        using var stats = await fixture.Http.GetAsync(new Uri(dashboard, "ClusterStats"));
        using var onMainPort = await fixture.Http.GetAsync(new Uri(fixture.Silo.BaseAddress, MetricsFixture.DashboardPath + "/"));
        using var onApi = await fixture.Http.GetAsync(new Uri(fixture.Api.BaseAddress, MetricsFixture.DashboardPath + "/"));

        // Assert
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
        Assert.Equal("application/json", stats.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, onMainPort.StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, onApi.StatusCode);
    }

    private static async Task WaitForNotificationAsync(ApiClient api, string menteeId, string token)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            using var response = await api.SendAsync(HttpMethod.Get, $"/mentee/{menteeId}/notifications", token: token);
            if ((await ApiClient.JsonAsync(response)).GetProperty("items").GetArrayLength() > 0)
            {
                return;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"Mentee {menteeId} got no notification within 30 s.");
    }
}
