using System.Net;
using System.Security.Cryptography;
using LiveStream.Testing;

namespace LiveStream.Host.Tests.Observability;

/// <summary>
/// A separate <c>api</c> and <c>silo</c> process, both exporting traces over OTLP/HTTP (protobuf) to a receiver the
/// test serves, as they would to the collector sidecar in AWS.
/// </summary>
public sealed class TracedClusterFixture : IAsyncLifetime
{
    public const string CallbackSecret = "trace-tests-callback-secret-000000001";

    private TestDatabase? _database;

    public OtlpTraceReceiver Receiver { get; } = OtlpTraceReceiver.Start();

    public HostProcess? Silo { get; private set; }

    public HostProcess? Api { get; private set; }

    public ApiClient CreateClient() => new((Api ?? throw new InvalidOperationException("Fixture not started.")).CreateClient());

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        var options = new HostProcessOptions(_database.ConnectionString, HostProcess.NewSigningKey())
        {
            Settings = new Dictionary<string, string>(Receiver.ExporterSettings) { ["Media:Local:CallbackSecret"] = CallbackSecret },
            ReadyTimeout = TimeSpan.FromMinutes(2),
        };
        // xunit does not dispose a fixture whose start failed: the silo must not outlive a failed api start.
        Silo = await HostProcess.StartAsync(options with { Role = "silo" });
        try
        {
            Api = await HostProcess.StartAsync(options with { Role = "api" });
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var process in new[] { Api, Silo })
        {
            if (process is not null)
            {
                await process.DisposeAsync();
            }
        }

        await Receiver.DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

public sealed class TraceTests(TracedClusterFixture fixture) : IClassFixture<TracedClusterFixture>
{
    private const int ServerKind = 2;

    [Fact]
    public async Task A_reaction_is_one_trace_from_the_api_request_through_the_grain_call_to_the_group_commit_flush_in_the_silo()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var mentorToken = await api.CreateMentorAsync(mentorId, "engines");
        var liveId = await api.ScheduleLiveSessionAsync(mentorId, mentorToken, TracedClusterFixture.CallbackSecret);
        var viewer = await api.CreateMenteeAsync(Ids.New("viewer"));
        var (traceId, testSpanId, header) = NewTraceParent();

        // Act
        using var response = await api.SendAsync(
            HttpMethod.Post, $"/mentor/{mentorId}/live/{liveId}/reaction", new { reaction = "clap" }, viewer, header);

        // Assert: request span (api) -> ... grain call (silo) ... -> flush (silo), one unbroken chain.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var spans = await fixture.Receiver.WaitForAsync(
            all => Chain(all, traceId, testSpanId, "group_commit.flush") is not null,
            "reaction trace reaching the flush");
        var path = Chain(spans, traceId, testSpanId, "group_commit.flush")!;
        var flush = path[0];
        var request = path[^1];
        Assert.Equal("silo", flush.Resource["livestream.role"]);
        Assert.True(int.Parse(flush.Attribute("livestream.batch.size")!, System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Equal(ServerKind, request.Kind);
        Assert.Contains("reaction", request.Attribute("http.route") ?? request.Name, StringComparison.Ordinal);
        Assert.Contains(path, span => span.Resource["livestream.role"] == "silo" && span.Kind == ServerKind && span != flush);
    }

    [Fact]
    public async Task A_schedule_is_one_trace_from_the_api_request_through_the_fan_out_and_the_queue_to_each_chunk_delivery()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var menteeId = Ids.New("mentee");
        var mentorToken = await api.CreateMentorAsync(mentorId, "engines");
        var menteeToken = await api.CreateMenteeAsync(menteeId);
        await api.FollowAsync(menteeId, mentorId, menteeToken);

        var (traceId, testSpanId, header) = NewTraceParent();

        // Act
        using var response = await api.SendAsync(
            HttpMethod.Post, "/livestream/", new { mentorId, courseId = "engines", title = "Traced", scheduledStart = DateTimeOffset.UtcNow.AddHours(1) }, mentorToken, header);

        // Assert: request (api) -> session grain (silo) -> fan-out (silo, on its timer) -> queue -> chunk (silo).
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var liveId = (await ApiClient.JsonAsync(response)).GetProperty("liveId").GetString();
        var spans = await fixture.Receiver.WaitForAsync(
            all => Chain(all, traceId, testSpanId, "notification.fan_out_chunk") is not null,
            "schedule trace reaching the fan-out chunk");
        var path = Chain(spans, traceId, testSpanId, "notification.fan_out_chunk")!;
        var chunk = path[0];
        Assert.Equal(liveId, chunk.Attribute("livestream.session.id"));
        Assert.Equal("scheduled", chunk.Attribute("livestream.notification.kind"));
        Assert.Equal("1", chunk.Attribute("livestream.notification.mentees"));
        Assert.Equal("silo", chunk.Resource["livestream.role"]);
        Assert.Contains(path, span => span.Name == "notification.fan_out");
        Assert.Contains(path, span => span.Name == "session.transition" || span.Resource["livestream.role"] == "silo" && span.Kind == ServerKind);
        Assert.Equal(ServerKind, path[^1].Kind);
    }

    /// <summary>
    /// The unbroken chain from a span named <paramref name="leaf"/> up to the span whose parent is the test's own
    /// <paramref name="rootSpanId"/> (the API request), or null while a link of it has not arrived yet.
    /// </summary>
    private static List<OtlpSpan>? Chain(IReadOnlyList<OtlpSpan> spans, string traceId, string rootSpanId, string leaf)
    {
        var inTrace = spans.Where(span => span.TraceId == traceId).GroupBy(span => span.SpanId).ToDictionary(group => group.Key, group => group.First());
        foreach (var start in inTrace.Values.Where(span => span.Name == leaf))
        {
            var chain = new List<OtlpSpan> { start };
            var current = start;
            while (current.ParentSpanId is { } parent && inTrace.TryGetValue(parent, out var next))
            {
                chain.Add(next);
                current = next;
            }

            if (current.ParentSpanId == rootSpanId)
            {
                return chain;
            }
        }

        return null;
    }

    /// <summary>A trace the test starts itself (its span is never exported), so its spans are told apart from all others.</summary>
    private static (string TraceId, string SpanId, IReadOnlyDictionary<string, string> Header) NewTraceParent()
    {
        var traceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var spanId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        return (traceId, spanId, new Dictionary<string, string> { ["traceparent"] = $"00-{traceId}-{spanId}-01" });
    }
}
