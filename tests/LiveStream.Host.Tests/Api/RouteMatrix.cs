using System.Text.RegularExpressions;

namespace LiveStream.Host.Tests.Api;

/// <summary>Who may call a route.</summary>
public enum Access
{
    /// <summary>Anyone, signed in or not (health, dev tokens, media files, API description).</summary>
    Public,

    /// <summary>The ingest server's callback: anonymous, but a wrong secret in the path answers 404.</summary>
    CallbackSecret,

    /// <summary>Any signed-in user.</summary>
    SignedIn,

    /// <summary>Only the mentor who owns the resource (the route's or body's <c>mentorId</c>, or the session's mentor).</summary>
    OwnerMentor,

    /// <summary>Only the mentee the route names.</summary>
    OwnerMentee,

    /// <summary>Viewers taking part in a live session: any mentee and the session's own mentor, not other mentors.</summary>
    Participant,
}

/// <summary>Which of the world's sessions a route's <c>{liveId}</c> names.</summary>
public enum SessionKind
{
    Live,
    Scheduled,
}

/// <summary>One matrix entry: who may call, the body the owner sends (placeholders as in <see cref="RouteWorld"/>), which session.</summary>
public sealed record RouteRule(Access Access, string? Body = null, SessionKind Session = SessionKind.Live);

/// <summary>
/// The authorization matrix: every route the app maps (method and pattern exactly as the route table has them,
/// a trailing slash trimmed), and who may call it. <see cref="AuthorizationMatrixTests"/> fails for a mapped route
/// without an entry, so a new endpoint needs ONE line here: <c>["VERB /pattern/{id}"] = new(Access.X, Body)</c>.
/// </summary>
public static partial class RouteMatrix
{
    public const string ProfileJson = """{"displayName":"Ada Lovelace","bio":"Teaches engines"}""";
    public const string CourseJson = """{"title":"Analytical Engines","description":"Intro"}""";
    public const string MenteeJson = """{"displayName":"Grace"}""";
    public const string DeviceJson = """{"platform":"fcm","token":"device-token"}""";
    public const string ScheduleJson = """{"mentorId":"{mentorId}","courseId":"engines","title":"Intro","scheduledStart":"{start}"}""";
    public const string ReactionJson = """{"reaction":"clap"}""";
    public const string DevTokenJson = """{"userId":"{viewerId}","role":"mentee"}""";

    public static readonly IReadOnlyDictionary<string, RouteRule> Entries = new Dictionary<string, RouteRule>(StringComparer.Ordinal)
    {
        ["ANY /health/live"] = new(Access.Public),
        ["ANY /health/ready"] = new(Access.Public),
        ["GET /openapi/{documentName}.json"] = new(Access.Public),
        ["GET /docs/{documentName?}"] = new(Access.Public),
        ["GET /docs/favicon.svg"] = new(Access.Public),
        ["GET /docs/scalar.aspnetcore.js"] = new(Access.Public),
        ["GET /docs/scalar.js"] = new(Access.Public),
        ["POST /auth/dev-token"] = new(Access.Public, DevTokenJson),

        ["PUT /mentor/{mentorId}"] = new(Access.OwnerMentor, ProfileJson),
        ["GET /mentor/{mentorId}"] = new(Access.SignedIn),
        ["PUT /mentor/{mentorId}/courses/{courseId}"] = new(Access.OwnerMentor, CourseJson),
        ["GET /mentor/{mentorId}/notifications"] = new(Access.OwnerMentor),

        ["PUT /mentee/{menteeId}"] = new(Access.OwnerMentee, MenteeJson),
        ["GET /mentee/{menteeId}"] = new(Access.OwnerMentee),
        ["PUT /mentee/{menteeId}/following/{mentorId}"] = new(Access.OwnerMentee),
        ["DELETE /mentee/{menteeId}/following/{mentorId}"] = new(Access.OwnerMentee),
        ["PUT /mentee/{menteeId}/devices/{deviceId}"] = new(Access.OwnerMentee, DeviceJson),
        ["GET /mentee/{menteeId}/notifications"] = new(Access.OwnerMentee),

        ["POST /livestream"] = new(Access.OwnerMentor, ScheduleJson),
        ["DELETE /livestream/{liveId}"] = new(Access.OwnerMentor, Session: SessionKind.Scheduled),
        ["GET /mentor/{mentorId}/live"] = new(Access.SignedIn),
        ["GET /mentor/{mentorId}/live/{liveId}"] = new(Access.SignedIn),

        ["GET /livestream/{liveId}/ingest"] = new(Access.OwnerMentor, Session: SessionKind.Scheduled),
        ["POST /livestream/{liveId}/start"] = new(Access.OwnerMentor, Session: SessionKind.Scheduled),
        ["POST /livestream/{liveId}/stop"] = new(Access.OwnerMentor),
        ["GET /media/{token}/{liveId}/live/{file}"] = new(Access.Public),
        ["GET /media/{token}/{liveId}/recording.mp4"] = new(Access.Public),
        ["GET /media/player-config"] = new(Access.Public),
        ["GET /app/config"] = new(Access.Public),
        ["POST /internal/media/{secret}/publish"] = new(Access.CallbackSecret),
        ["POST /internal/media/{secret}/publish-done"] = new(Access.CallbackSecret),

        ["POST /mentor/{mentorId}/live/{liveId}/reaction"] = new(Access.Participant, ReactionJson),
        ["GET /mentor/{mentorId}/live/{liveId}/reaction"] = new(Access.SignedIn),
        ["GET /mentor/{mentorId}/live/{liveId}/reaction/stream"] = new(Access.SignedIn),
        ["GET /mentor/{mentorId}/live/{liveId}/timeline"] = new(Access.SignedIn),
        ["DELETE /mentor/{mentorId}/live/{liveId}/reaction/comments/{commentId}"] = new(Access.OwnerMentor),
        ["PUT /mentor/{mentorId}/live/{liveId}/muted/{userId}"] = new(Access.OwnerMentor),
        ["DELETE /mentor/{mentorId}/live/{liveId}/muted/{userId}"] = new(Access.OwnerMentor),
    };

    /// <summary>The method of a route that answers every method (health checks); tests call it with GET.</summary>
    public const string AnyMethod = "ANY";

    /// <summary>"GET /a/{b}" → ("GET", "/a/{b}").</summary>
    public static (string Method, string Pattern) Split(string key)
    {
        var space = key.IndexOf(' ', StringComparison.Ordinal);
        var method = key[..space];
        return (method == AnyMethod ? "GET" : method, key[(space + 1)..]);
    }

    /// <summary>The route parameters of a pattern in order: <c>{name}</c>, <c>{name?}</c>, <c>{name:constraint}</c>.</summary>
    public static IReadOnlyList<string> Parameters(string pattern) =>
        [.. Parameter().Matches(pattern).Select(match => match.Groups["name"].Value)];

    /// <summary>The pattern with each parameter replaced by <paramref name="value"/>(name), already escaped for a path.</summary>
    public static string Fill(string pattern, Func<string, string> value) =>
        Parameter().Replace(pattern, match => value(match.Groups["name"].Value));

    public static string Key(string method, string pattern) => $"{method} {(pattern.Length > 1 ? pattern.TrimEnd('/') : pattern)}";

    [GeneratedRegex(@"\{(?<name>[A-Za-z0-9_]+)(?::[^}]*)?\??\}")]
    private static partial Regex Parameter();
}
