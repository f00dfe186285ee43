using System.Net;

namespace LiveStream.Host.Tests.Api;

/// <summary>
/// Fresh resources every route of <see cref="RouteMatrix"/> can act on: a mentor with a course, a scheduled and a
/// live session (with a comment), a mentee who follows the mentor and has a device. Body placeholders:
/// <c>{mentorId}</c>, <c>{viewerId}</c>, <c>{start}</c> (tomorrow, ISO 8601).
/// </summary>
public sealed record RouteWorld(
    string MentorId,
    string MentorToken,
    string MenteeId,
    string MenteeToken,
    string ScheduledLiveId,
    string LiveId,
    long CommentId,
    string ViewerId)
{
    public const string CourseId = "engines";
    public const string DeviceId = "phone-1";

    public static async Task<RouteWorld> CreateAsync(ApiClient api, string signingKey)
    {
        var mentorId = Ids.New("mentor");
        var mentorToken = await api.CreateMentorAsync(mentorId, CourseId);
        var scheduled = await api.ScheduleAsync(mentorId, CourseId, mentorToken);
        var live = await api.ScheduleLiveSessionAsync(mentorId, mentorToken, ApiFixture.CallbackSecret);

        var menteeId = Ids.New("mentee");
        var menteeToken = await api.CreateMenteeAsync(menteeId);
        await api.FollowAsync(menteeId, mentorId, menteeToken);

        using (var device = await api.SendRawAsync(HttpMethod.Put, $"/mentee/{menteeId}/devices/{DeviceId}", RouteMatrix.DeviceJson, menteeToken))
        {
            Assert.Equal(HttpStatusCode.OK, device.StatusCode);
        }

        using var comment = await api.SendAsync(HttpMethod.Post, $"/mentor/{mentorId}/live/{live}/reaction?answer=full", new { comment = "First!" }, TestTokens.Create(signingKey, Ids.New("commenter"), "mentee"));
        var body = await ApiClient.JsonAsync(comment);
        Assert.True(comment.StatusCode == HttpStatusCode.OK, body.ToString());
        var commentId = body.GetProperty("comments").EnumerateArray().Last().GetProperty("commentId").GetInt64();
        return new RouteWorld(mentorId, mentorToken, menteeId, menteeToken, scheduled, live, commentId, Ids.New("viewer"));
    }

    /// <summary>The value of a route parameter for <paramref name="rule"/>, escaped for a path.</summary>
    public string Parameter(string name, RouteRule rule) => name switch
    {
        "mentorId" => MentorId,
        "menteeId" => MenteeId,
        "courseId" => CourseId,
        "deviceId" => DeviceId,
        "liveId" => rule.Session == SessionKind.Live ? LiveId : ScheduledLiveId,
        "commentId" => CommentId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "userId" => ViewerId,
        "file" => "index.m3u8",
        "secret" => "not-the-callback-secret",
        "documentName" => "v1",
        // Media files answer a signed URL, not a bearer token: a valid signature for the session the route names.
        "token" => MediaTokens.Create(Parameter("liveId", rule), DateTimeOffset.UtcNow.AddHours(1)),
        _ => throw new InvalidOperationException($"RouteWorld has no value for route parameter '{name}': add one."),
    };

    private static readonly LiveStream.Infrastructure.Media.MediaTokens MediaTokens = new(
        Microsoft.Extensions.Options.Options.Create(new LiveStream.Infrastructure.Media.PlaybackOptions { SigningKey = ApiFixture.PlaybackSigningKey }),
        TimeProvider.System);

    public string Path(string pattern, RouteRule rule) => RouteMatrix.Fill(pattern, name => Parameter(name, rule));

    public string? Body(RouteRule rule) => rule.Body?
        .Replace("{mentorId}", MentorId, StringComparison.Ordinal)
        .Replace("{viewerId}", ViewerId, StringComparison.Ordinal)
        .Replace("{start}", DateTimeOffset.UtcNow.AddDays(1).ToString("O"), StringComparison.Ordinal);

    /// <summary>The caller the rule allows (the owner; any signed-in user is the owner too).</summary>
    public string OwnerToken(RouteRule rule) => rule.Access == Access.OwnerMentee ? MenteeToken : MentorToken;
}
