using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace LiveStream.Host.Tests;

/// <summary>A thin JSON-over-HTTP client for tests, with helpers for the common setup steps.</summary>
public sealed class ApiClient(HttpClient http) : IDisposable
{
    public HttpClient Http => http;

    public async Task<string> TokenAsync(string userId, string role)
    {
        using var response = await SendAsync(HttpMethod.Post, "/auth/dev-token", new { userId, role });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await JsonAsync(response)).GetProperty("token").GetString()!;
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, string? token = null, IReadOnlyDictionary<string, string>? headers = null) =>
        SendRawAsync(method, path, body is null ? null : JsonSerializer.Serialize(body, JsonSerializerOptions.Web), token, headers);

    public async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, string? json, string? token = null, IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await http.SendAsync(request);
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts a problem+json answer with the given status that names <paramref name="field"/>.</summary>
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? field = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        if (field is not null)
        {
            Assert.True(problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out _), $"Problem does not name '{field}': {body}");
        }

        return problem;
    }

    /// <summary>A mentor with a profile and one course; returns the mentor's token.</summary>
    public async Task<string> CreateMentorAsync(string mentorId, string courseId, string displayName = "Ada Lovelace")
    {
        var token = await TokenAsync(mentorId, "mentor");
        using (var profile = await SendAsync(HttpMethod.Put, $"/mentor/{mentorId}", new { displayName, bio = "Teaches engines" }, token))
        {
            Assert.Equal(HttpStatusCode.OK, profile.StatusCode);
        }

        using (var course = await SendAsync(HttpMethod.Put, $"/mentor/{mentorId}/courses/{courseId}", new { title = "Analytical Engines", description = "Intro" }, token))
        {
            Assert.Equal(HttpStatusCode.OK, course.StatusCode);
        }

        return token;
    }

    /// <summary>A mentee with a profile; returns the mentee's token.</summary>
    public async Task<string> CreateMenteeAsync(string menteeId, string displayName = "Grace")
    {
        var token = await TokenAsync(menteeId, "mentee");
        using var profile = await SendAsync(HttpMethod.Put, $"/mentee/{menteeId}", new { displayName }, token);
        Assert.Equal(HttpStatusCode.OK, profile.StatusCode);
        return token;
    }

    /// <summary>Schedules a session an hour from now (<paramref name="visibility"/>: null is the default, public); returns its live id.</summary>
    public async Task<string> ScheduleAsync(string mentorId, string courseId, string token, string title = "Intro session", string? visibility = null)
    {
        using var response = await SendAsync(HttpMethod.Post, "/livestream/", new { mentorId, courseId, title, scheduledStart = DateTimeOffset.UtcNow.AddHours(1), visibility }, token);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await JsonAsync(response)).GetProperty("liveId").GetString()!;
    }

    public void Dispose() => http.Dispose();
}
