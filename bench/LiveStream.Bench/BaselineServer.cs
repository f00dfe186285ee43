using System.Text.Json;
using System.Text.Json.Serialization;

namespace LiveStream.Bench;

/// <summary>
/// The baseline: an ASP.NET Core minimal API on Kestrel with nothing of ours (no auth, no Orleans, no telemetry)
/// answering <c>GET /</c> with a JSON document shaped and sized like a session detail, serialized per request
/// with the same options as LiveStream.Host. Runs as a child process of the tool, like the host.
/// </summary>
public static class BaselineServer
{
    public const string Command = "baseline";

    public static async Task<int> RunAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            options.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        });
        builder.WebHost.ConfigureKestrel(options => options.AddServerHeader = false);
        var port = args.Length == 2 && args[0] == "--port" ? args[1] : throw new ArgumentException("usage: baseline --port N");
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");

        var app = builder.Build();
        var document = SampleDetail.Create();
        app.MapGet("/", () => TypedResults.Ok(document));
        await app.RunAsync();
        return 0;
    }

    /// <summary>The same fields as LiveStream.Host's session detail response, with plausible values.</summary>
    public sealed record SampleDetail(
        string LiveId, string MentorId, string CourseId, string Title, string State, DateTimeOffset ScheduledStart, DateTimeOffset CreatedAt,
        DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, string? PlaybackUrl, string? RecordingUrl, SampleMentor Mentor, SampleCourse Course,
        IReadOnlyDictionary<string, long> Reactions)
    {
        public static SampleDetail Create()
        {
            var now = DateTimeOffset.UtcNow;
            return new(
                "0f3c2a9e8b7d4c6e9a1b2c3d4e5f6a7b", "bench-mentor", "bench-course", "Bernoulli numbers on the Analytical Engine", "scheduled",
                now.AddDays(30), now, null, null, null, null,
                new SampleMentor("bench-mentor", "Ada Lovelace", "Mathematician; writes the first published algorithm.", "https://example.com/ada.png", now),
                new SampleCourse("bench-course", "Analytical Engines", "From the Difference Engine to general computation.", now),
                new Dictionary<string, long>());
        }
    }

    public sealed record SampleMentor(string MentorId, string DisplayName, string? Bio, string? AvatarUrl, DateTimeOffset UpdatedAt);

    public sealed record SampleCourse(string CourseId, string Title, string? Description, DateTimeOffset UpdatedAt);
}
