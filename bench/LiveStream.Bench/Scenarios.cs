namespace LiveStream.Bench;

/// <summary>One HTTP request of a scenario; <see cref="Weight"/> is its share in a mixed scenario.</summary>
public sealed record BenchRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string? Body = null, int Weight = 1);

public enum ScenarioTarget
{
    /// <summary>The bare Kestrel process.</summary>
    Baseline,

    /// <summary>The LiveStream host (the <c>all</c> or the <c>api</c> process).</summary>
    Host,
}

/// <summary>
/// A row of the scenario table. A scenario whose endpoint does not exist yet carries a <see cref="Pending"/> reason:
/// it is listed in the report with that reason and never measured. When the endpoint lands, delete the reason.
/// </summary>
public sealed record Scenario(string Id, string Title, ScenarioTarget Target, Func<SeedData, IReadOnlyList<BenchRequest>> Requests, string? Pending = null);

public static class Scenarios
{
    public const string BaselineId = "bare-kestrel";

    /// <summary>Writes (3 reactions + 9 comments) among the mixed profile's 21 requests per user.</summary>
    public const double MixedWriteShare = 12.0 / 21.0;

    private static readonly IReadOnlyDictionary<string, string> NoHeaders = new Dictionary<string, string>();

    /// <summary>Every scenario, in report order; the baseline first since every ratio is relative to it.</summary>
    public static IReadOnlyList<Scenario> All { get; } =
    [
        new(BaselineId, "bare Kestrel GET / (baseline)", ScenarioTarget.Baseline, _ => [new("GET", "/", NoHeaders)]),
        new("session-detail", "session detail GET /mentor/{id}/live/{liveId}", ScenarioTarget.Host, seed => [Get(SessionDetail(seed), seed.Mentees[0].Token)]),
        new("mentor-page", "mentor page GET /mentor/{id}", ScenarioTarget.Host, seed => [Get($"/mentor/{seed.MentorId}", seed.Mentees[0].Token)]),
        new("session-list", "session list GET /mentor/{id}/live/", ScenarioTarget.Host, seed => [Get($"/mentor/{seed.MentorId}/live/", seed.Mentees[0].Token)]),
        new("dev-token", "token POST /auth/dev-token (anonymous)", ScenarioTarget.Host, seed => [Token(seed.Mentees[0].MenteeId)]),
        new("reaction-get", "fetch reactions GET .../reaction", ScenarioTarget.Host, seed => [Get(Reaction(seed), seed.Mentees[0].Token)]),
        new("reaction-post", "send reaction POST .../reaction (every mentee in turn)", ScenarioTarget.Host, seed => EveryMentee(seed, token => Post(Reaction(seed), token, """{"reaction":"clap"}"""))),
        new("comment-post", "comment POST .../reaction (every mentee in turn)", ScenarioTarget.Host, seed => EveryMentee(seed, token => Post(Reaction(seed), token, """{"comment":"Great explanation of the carry mechanism!"}"""))),
        new("mixed", "mixed per-user profile (DESIGN §5: 1 token, 3 mentor page, 3 session, 3 fetch reactions, 3 reaction, 9 comments)", ScenarioTarget.Host, MixedProfile),
    ];

    /// <summary>DESIGN §5: the 21 backend requests of one user's evening, for every seeded mentee in turn.</summary>
    private static IReadOnlyList<BenchRequest> MixedProfile(SeedData seed) =>
    [
        .. seed.Mentees.SelectMany(mentee => new[]
        {
            Token(mentee.MenteeId) with { Weight = 1 },
            Get($"/mentor/{seed.MentorId}", mentee.Token) with { Weight = 3 },
            Get(SessionDetail(seed), mentee.Token) with { Weight = 3 },
            Get(Reaction(seed), mentee.Token) with { Weight = 3 },
            Post(Reaction(seed), mentee.Token, """{"reaction":"heart"}""") with { Weight = 3 },
            Post(Reaction(seed), mentee.Token, """{"comment":"Could you show the table again?"}""") with { Weight = 9 },
        }),
    ];

    /// <summary>The same request from every seeded mentee in turn: the audience of a session, not one user.</summary>
    private static IReadOnlyList<BenchRequest> EveryMentee(SeedData seed, Func<string, BenchRequest> request) =>
        [.. seed.Mentees.Select(mentee => request(mentee.Token))];

    private static string SessionDetail(SeedData seed) => $"/mentor/{seed.MentorId}/live/{seed.LiveId}";

    private static string Reaction(SeedData seed) => $"{SessionDetail(seed)}/reaction";

    private static BenchRequest Get(string path, string token) =>
        new("GET", path, new Dictionary<string, string> { ["Authorization"] = $"Bearer {token}" });

    private static BenchRequest Post(string path, string token, string json) =>
        new("POST", path, new Dictionary<string, string> { ["Authorization"] = $"Bearer {token}", ["Content-Type"] = "application/json" }, json);

    private static BenchRequest Token(string userId) =>
        new("POST", "/auth/dev-token", new Dictionary<string, string> { ["Content-Type"] = "application/json" }, $$"""{"userId":"{{userId}}","role":"mentee"}""");
}
