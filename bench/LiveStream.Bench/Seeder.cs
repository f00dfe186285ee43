using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace LiveStream.Bench;

/// <summary>What the scenarios address: ids and tokens created through the public API.</summary>
public sealed record SeedData(
    string MentorId,
    string CourseId,
    string LiveId,
    string MentorToken,
    IReadOnlyList<(string MenteeId, string Token)> Mentees,
    int SessionDetailBytes);

/// <summary>
/// Seeds one mentor (profile, course, a month of scheduled sessions: DESIGN §5 plans 8 per mentor) and mentees who
/// follow the mentor, only through the HTTP API with Bearer dev tokens, exactly as clients do. The first session
/// is taken live, since the reaction scenarios address it.
/// </summary>
public static class Seeder
{
    public const string MentorId = "bench-mentor";
    public const string CourseId = "bench-course";
    private const int SessionsPerMentor = 8;

    public static async Task<SeedData> SeedAsync(Uri baseAddress, int mentees)
    {
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var mentorToken = await TokenAsync(http, MentorId, "mentor");
        await SendAsync(http, HttpMethod.Put, $"mentor/{MentorId}", mentorToken, new
        {
            displayName = "Ada Lovelace",
            bio = "Mathematician; writes the first published algorithm.",
            avatarUrl = "https://example.com/ada.png",
        });
        await SendAsync(http, HttpMethod.Put, $"mentor/{MentorId}/courses/{CourseId}", mentorToken, new
        {
            title = "Analytical Engines",
            description = "From the Difference Engine to general computation.",
        });

        var menteeTokens = new List<(string, string)>();
        for (var i = 0; i < mentees; i++)
        {
            var menteeId = $"bench-mentee-{i.ToString(CultureInfo.InvariantCulture)}";
            var token = await TokenAsync(http, menteeId, "mentee");
            await SendAsync(http, HttpMethod.Put, $"mentee/{menteeId}", token, new { displayName = $"Mentee {i}" });
            await SendAsync(http, HttpMethod.Put, $"mentee/{menteeId}/following/{MentorId}", token, null);
            menteeTokens.Add((menteeId, token));
        }

        string? liveId = null;
        for (var i = 0; i < SessionsPerMentor; i++)
        {
            using var created = await SendAsync(http, HttpMethod.Post, "livestream/", mentorToken, new
            {
                mentorId = MentorId,
                courseId = CourseId,
                title = $"Bernoulli numbers on the Analytical Engine, part {i + 1}",
                scheduledStart = DateTimeOffset.UtcNow.AddDays(7 + (3 * i)),
            });
            liveId ??= created.RootElement.GetProperty("liveId").GetString();
        }

        // Reactions and comments are accepted only while live: the session the scenarios address goes live the way
        // it does in production, the mentor starts it and the ingest server reports the publisher (its callback).
        await GoLiveAsync(http, liveId!, mentorToken);

        // The detail scenario's answer, fetched once: it must succeed, and its size is reported beside the baseline's.
        var detailPath = $"mentor/{MentorId}/live/{liveId}";
        using var request = new HttpRequestMessage(HttpMethod.Get, detailPath);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", menteeTokens.Count > 0 ? menteeTokens[0].Item2 : mentorToken);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Seed check GET /{detailPath} answered {(int)response.StatusCode}.");
        }

        return new SeedData(MentorId, CourseId, liveId!, mentorToken, menteeTokens, body.Length);
    }

    private static async Task GoLiveAsync(HttpClient http, string liveId, string mentorToken)
    {
        (await SendAsync(http, HttpMethod.Post, $"livestream/{liveId}/start", mentorToken, null)).Dispose();
        using var ingest = await SendAsync(http, HttpMethod.Get, $"livestream/{liveId}/ingest", mentorToken, null);
        var streamKey = ingest.RootElement.GetProperty("streamKey").GetString()!;
        using var callbacks = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = http.BaseAddress };
        using var publish = await callbacks.PostAsync(
            new Uri($"internal/media/{HostTopology.CallbackSecret}/publish", UriKind.Relative),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["call"] = "publish", ["name"] = streamKey, ["clientid"] = "bench" }));
        // nginx-rtmp reads a 3xx as "accepted, renamed"; anything else refused the publisher.
        if ((int)publish.StatusCode is < 200 or >= 400)
        {
            throw new InvalidOperationException($"Seeding failed: the publish callback answered {(int)publish.StatusCode}.");
        }

        // No encoder runs: the playlist nginx would write, with one segment, since a session is live only once playable.
        var hls = Path.Combine(HostTopology.MediaDirectory, "hls", liveId);
        Directory.CreateDirectory(hls);
        await File.WriteAllTextAsync(Path.Combine(hls, "index.m3u8"), "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2.000,\n0.ts\n");
        string? state = null;
        for (var attempt = 0; attempt < 300 && !string.Equals(state, "live", StringComparison.OrdinalIgnoreCase); attempt++)
        {
            await Task.Delay(attempt == 0 ? 0 : 100);
            using var detail = await SendAsync(http, HttpMethod.Get, $"mentor/{MentorId}/live/{liveId}", mentorToken, null);
            state = detail.RootElement.GetProperty("state").GetString();
        }

        if (!string.Equals(state, "live", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"Seeding failed: the session is '{state}' 30 s after the publish callback, not live.");
        }
    }

    internal static async Task<string> TokenAsync(HttpClient http, string userId, string role)
    {
        using var response = await SendAsync(http, HttpMethod.Post, "auth/dev-token", null, new { userId, role });
        return response.RootElement.GetProperty("token").GetString()!;
    }

    internal static async Task<JsonDocument> SendAsync(HttpClient http, HttpMethod method, string path, string? token, object? body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Seeding failed: {method} /{path} answered {(int)response.StatusCode}: {text}");
        }

        return JsonDocument.Parse(text.Length == 0 ? "{}" : text);
    }
}
