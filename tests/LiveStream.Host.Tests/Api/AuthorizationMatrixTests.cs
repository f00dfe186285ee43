using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace LiveStream.Host.Tests.Api;

/// <summary>
/// Issue 14: every route the app maps is in <see cref="RouteMatrix"/>, and each answers no token, another mentor,
/// a mentee and the owner as its entry says. The route list is the running host's own route table.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class AuthorizationMatrixTests(ApiFixture fixture)
{
    private enum Outcome
    {
        Allowed,
        NotDenied,
        Unauthorized,
        Forbidden,
        NotFound,
    }

    public static TheoryData<string> Routes => new(RouteMatrix.Entries.Keys.Order(StringComparer.Ordinal));

    [Fact]
    public async Task Every_mapped_route_has_a_matrix_entry_and_every_entry_is_mapped()
    {
        // Arrange
        var mapped = await MappedRoutesAsync(fixture);

        // Act
        var unlisted = mapped.Except(RouteMatrix.Entries.Keys).Order(StringComparer.Ordinal).ToList();
        var stale = RouteMatrix.Entries.Keys.Except(mapped).Order(StringComparer.Ordinal).ToList();

        // Assert
        Assert.True(unlisted.Count == 0, $"Routes without an authorization matrix entry (add them to RouteMatrix.Entries): {string.Join(", ", unlisted)}");
        Assert.True(stale.Count == 0, $"Matrix entries for routes the app does not map: {string.Join(", ", stale)}");
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Each_route_answers_no_token_another_mentor_a_mentee_and_the_owner_as_the_matrix_says(string route)
    {
        // Arrange
        using var api = fixture.CreateClient();
        var world = await RouteWorld.CreateAsync(api, fixture.SigningKey);
        var rule = RouteMatrix.Entries[route];
        var (method, pattern) = RouteMatrix.Split(route);
        var path = world.Path(pattern, rule);

        // The owner goes last: a refused call must not have changed what the owner's call acts on.
        (string Caller, string? Token, Outcome Expected)[] callers =
        [
            ("no token", null, rule.Access is Access.Public or Access.CallbackSecret ? Unsigned(rule.Access) : Outcome.Unauthorized),
            ("another mentor", AnotherMentor(world, rule), rule.Access is Access.SignedIn ? Outcome.Allowed : Refused(rule.Access)),
            ("a mentee", AMentee(world, rule), rule.Access is Access.SignedIn or Access.Participant ? Outcome.Allowed : Refused(rule.Access)),
            ("the owner", world.OwnerToken(rule), rule.Access is Access.Public or Access.CallbackSecret ? Unsigned(rule.Access) : Outcome.Allowed),
        ];

        foreach (var (caller, token, expected) in callers)
        {
            // Act
            using var response = await SendAsync(api, method, path, world.Body(rule), token);

            // Assert
            await AssertOutcomeAsync(response, expected, $"{route} as {caller}");
        }
    }

    /// <summary>The routes the running host mapped, as matrix keys.</summary>
    public static async Task<IReadOnlySet<string>> MappedRoutesAsync(ApiFixture fixture)
    {
        using var table = JsonDocument.Parse(await File.ReadAllTextAsync(fixture.Host.RouteTableFile));
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var route in table.RootElement.EnumerateArray())
        {
            var pattern = route.GetProperty("pattern").GetString()!;
            var methods = route.GetProperty("methods").EnumerateArray().Select(method => method.GetString()!).DefaultIfEmpty(RouteMatrix.AnyMethod);
            foreach (var method in methods)
            {
                keys.Add(RouteMatrix.Key(method, pattern));
            }
        }

        return keys;
    }

    /// <summary>What a route that needs no token answers anyone.</summary>
    private static Outcome Unsigned(Access access) => access == Access.CallbackSecret ? Outcome.NotFound : Outcome.NotDenied;

    /// <summary>What a signed-in caller who may not use the route gets.</summary>
    private static Outcome Refused(Access access) => access is Access.Public or Access.CallbackSecret ? Unsigned(access) : Outcome.Forbidden;

    /// <summary>For a mentee's route, a mentor whose token carries the mentee's id: only the role tells them apart.</summary>
    private string AnotherMentor(RouteWorld world, RouteRule rule) =>
        TestTokens.Create(fixture.SigningKey, rule.Access == Access.OwnerMentee ? world.MenteeId : Ids.New("mentor-other"), "mentor");

    /// <summary>For a mentor's route, a mentee whose token carries the mentor's id; for a mentee's route, another mentee.</summary>
    private string AMentee(RouteWorld world, RouteRule rule) => rule.Access switch
    {
        Access.OwnerMentor => TestTokens.Create(fixture.SigningKey, world.MentorId, "mentee"),
        Access.OwnerMentee => TestTokens.Create(fixture.SigningKey, Ids.New("mentee-other"), "mentee"),
        _ => world.MenteeToken,
    };

    private static async Task<HttpResponseMessage> SendAsync(ApiClient api, string method, string path, string? body, string? token)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        // Headers only: the SSE stream never ends on its own.
        return await api.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private static async Task AssertOutcomeAsync(HttpResponseMessage response, Outcome expected, string what)
    {
        var status = (int)response.StatusCode;
        var streaming = response.Content.Headers.ContentType?.MediaType == "text/event-stream";
        var body = streaming ? "(event stream)" : await response.Content.ReadAsStringAsync();
        switch (expected)
        {
            case Outcome.Allowed:
                Assert.True(response.IsSuccessStatusCode, $"{what}: expected success, got {status}: {body}");
                break;
            case Outcome.NotDenied:
                Assert.True(status is not (401 or 403) and < 500, $"{what}: expected an answer that is not 401/403/5xx, got {status}: {body}");
                break;
            case Outcome.Unauthorized:
                Assert.True(status == 401, $"{what}: expected 401, got {status}: {body}");
                Assert.Contains(response.Headers.WwwAuthenticate, header => header.Scheme == "Bearer");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                break;
            case Outcome.Forbidden:
                Assert.True(status == 403, $"{what}: expected 403, got {status}: {body}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                break;
            case Outcome.NotFound:
                Assert.True(status == 404, $"{what}: expected 404, got {status}: {body}");
                break;
        }
    }
}
