using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace LiveStream.Host.Tests.Api;

/// <summary>
/// Issue 14: a corpus of hostile input (control characters, unpaired surrogates, trailing newlines, look-alikes,
/// over-long values, huge numbers, deep JSON, wrong content types, oversized headers) sent by the owner to every
/// route id, body field and paging parameter of <see cref="RouteMatrix"/>. Every answer is a 4xx problem+json naming
/// the field, none is a 5xx, and what was stored reads back the same afterwards.
/// </summary>
/// <remarks>
/// The few requests Kestrel refuses before any application code runs (headers over 32 KiB, a request line over
/// 8 KiB, a NUL in the path) get Kestrel's bare 431/414/400: those cases assert only the status. A paging number
/// with surrounding white space ("1%0A") binds as that number, as <c>int.TryParse</c> allows, and is not in the corpus.
/// </remarks>
[Collection(ApiCollection.Name)]
public sealed class HostileInputTests(ApiFixture fixture)
{
    private const int MinimumCases = 1000;

    /// <summary>Hostile route ids, already escaped for a path segment.</summary>
    private static readonly string[] HostileIds =
    [
        "abc%0A", "abc%0D%0A", "%0Aabc", "%00", "abc%00", "a%01b", "a%1Bb", "a%7Fb", "a%C2%85b", "%09abc", "abc%20", "%20abc",
        "%ED%A0%80", "a%ED%B0%80b", "%EF%BF%BD", Uri.EscapeDataString("ａｂｃ"), Uri.EscapeDataString("аbc"), Uri.EscapeDataString("e\u0301"),
        Uri.EscapeDataString("a\u200Bb"), Uri.EscapeDataString("a\u202Eb"), Uri.EscapeDataString("😀"), new string('a', 65), new string('a', 5000),
        "a.b", "a%2Fb", "a%5Cb", "a%3Bb", "a%25b", "a+b", Uri.EscapeDataString("'; DROP TABLE x;--"), Uri.EscapeDataString("<script>"),
    ];

    /// <summary>Hostile values for any body field, as raw JSON.</summary>
    private static readonly string[] HostileValues =
    [
        "\"\\u0000\"", "\"a\\u0000b\"", "\"\\u0001\"", "\"a\\u001b[2Jb\"", "\"a\\u007fb\"", "\"a\\u0085b\"", "\"a\\u0008b\"",
        "\"\\ud800\"", "\"a\\udc00b\"", "\"\\udc00\\ud800\"", "\"a\\u202eb\"", "\"a\\u2066b\"",
        "1e400", "123456789012345678901234567890", "-1", "true", "[]", "{}", "[[[[\"a\"]]]]", $"\"{new string('x', 5000)}\"",
    ];

    /// <summary>Extra hostile values for single-line fields (multi-line ones take line breaks).</summary>
    private static readonly string[] LineBreaks = ["\"abc\\n\"", "\"abc\\r\\n\"", "\"\\nabc\"", "\"a\\u2028b\"", "\"a\\tb\""];

    private static readonly HashSet<string> MultilineFields = ["bio", "description", "comment"];
    private static readonly HashSet<string> IdFields = ["mentorId", "courseId", "userId"];
    private static readonly HashSet<string> EnumFields = ["platform", "role", "reaction"];

    /// <summary>Extra bodies: fields the matrix's bodies leave out.</summary>
    private static readonly (string Route, string Body)[] ExtraBodies =
    [
        ("PUT /mentor/{mentorId}", """{"displayName":"Ada","bio":"Engines","avatarUrl":"https://example.com/ada.png"}"""),
        ("POST /mentor/{mentorId}/live/{liveId}/reaction", """{"comment":"Hello"}"""),
    ];

    private static readonly string[] PagedRoutes =
    [
        "GET /mentor/{mentorId}/live",
        "GET /mentee/{menteeId}/notifications",
        "GET /mentor/{mentorId}/live/{liveId}/reaction",
    ];

    [Fact]
    public async Task Hostile_input_answers_4xx_problem_json_naming_the_field_and_changes_nothing()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var world = await RouteWorld.CreateAsync(api, fixture.SigningKey);
        var before = await ReadStoredAsync(api, world);
        var cases = Corpus(world);
        Assert.True(cases.Count >= MinimumCases, $"The corpus has {cases.Count} cases, fewer than {MinimumCases}.");

        // Act
        var failures = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (hostile, _) =>
        {
            if (await CheckAsync(api.Http, hostile) is { } failure)
            {
                failures.Add(failure);
            }
        });

        // Assert
        Assert.True(failures.IsEmpty, $"{failures.Count} of {cases.Count} cases failed:\n{string.Join("\n", failures.Order().Take(200))}");
        Assert.Equal(before, await ReadStoredAsync(api, world));
    }

    [Theory]
    [InlineData("PUT", "/mentee/{menteeId}/devices/phone-2", """{"platform":"fcm","token":"\u0000"}""", "token")]
    [InlineData("PUT", "/mentor/{mentorId}/courses/abc%0A", """{"title":"Engines"}""", "courseId")]
    [InlineData("POST", "/auth/dev-token", """{"userId":"evil\n","role":"mentee"}""", "userId")]
    public async Task The_reported_repros_answer_400_naming_the_field(string method, string path, string body, string field)
    {
        // Arrange
        using var api = fixture.CreateClient();
        var world = await RouteWorld.CreateAsync(api, fixture.SigningKey);
        var before = await ReadStoredAsync(api, world);
        var token = path.StartsWith("/mentee", StringComparison.Ordinal) ? world.MenteeToken : world.MentorToken;

        // Act
        using var response = await api.SendRawAsync(
            new HttpMethod(method), path.Replace("{menteeId}", world.MenteeId, StringComparison.Ordinal).Replace("{mentorId}", world.MentorId, StringComparison.Ordinal), body, token);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
        Assert.Equal(before, await ReadStoredAsync(api, world));
    }

    [Fact]
    public async Task Scheduling_again_with_the_same_idempotency_key_and_a_different_body_is_422_and_changes_nothing()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        var key = new Dictionary<string, string> { ["Idempotency-Key"] = Ids.New("key") };
        var start = DateTimeOffset.UtcNow.AddDays(1);
        using var first = await api.SendAsync(HttpMethod.Post, "/livestream/", new { mentorId, courseId = "engines", title = "First", scheduledStart = start }, token, key);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var before = await api.ReadAsync($"/mentor/{mentorId}/live", token);

        // Act
        using var retried = await api.SendAsync(HttpMethod.Post, "/livestream/", new { mentorId, courseId = "engines", title = "First", scheduledStart = start }, token, key);
        using var reused = await api.SendAsync(HttpMethod.Post, "/livestream/", new { mentorId, courseId = "engines", title = "Other", scheduledStart = start }, token, key);

        // Assert
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        await ApiClient.AssertProblemAsync(reused, HttpStatusCode.UnprocessableEntity, "Idempotency-Key");
        Assert.Equal(before, await api.ReadAsync($"/mentor/{mentorId}/live", token));
    }

    /// <summary>One hostile request: how to build it, and the field the answer must name (null: any 4xx problem).</summary>
    private sealed record HostileCase(string Name, Func<HttpRequestMessage> Request, string? Field, int? TransportStatus = null);

    private List<HostileCase> Corpus(RouteWorld world)
    {
        var cases = new List<HostileCase>();
        foreach (var (route, rule) in RouteMatrix.Entries)
        {
            if (rule.Access == Access.Public && !RouteMatrix.Parameters(RouteMatrix.Split(route).Pattern).Any(name => name.EndsWith("Id", StringComparison.Ordinal)) && rule.Body is null)
            {
                continue;
            }

            cases.AddRange(RouteIdCases(world, route, rule));
            cases.AddRange(BodyCases(world, route, rule, world.Body(rule)));
            cases.AddRange(WholeBodyCases(world, route, rule));
        }

        foreach (var (route, body) in ExtraBodies)
        {
            cases.AddRange(BodyCases(world, route, RouteMatrix.Entries[route], body));
        }

        foreach (var route in PagedRoutes)
        {
            cases.AddRange(PagingCases(world, route, RouteMatrix.Entries[route]));
        }

        cases.AddRange(HeaderCases(world));
        return cases;
    }

    private IEnumerable<HostileCase> RouteIdCases(RouteWorld world, string route, RouteRule rule)
    {
        var (method, pattern) = RouteMatrix.Split(route);
        foreach (var parameter in RouteMatrix.Parameters(pattern))
        {
            foreach (var hostile in HostileIds)
            {
                var path = RouteMatrix.Fill(pattern, name => name == parameter ? hostile : world.Parameter(name, rule));
                var field = parameter.EndsWith("Id", StringComparison.Ordinal) ? parameter : null;
                // Kestrel refuses a NUL in the path itself (a bare 400) before any application code runs.
                int? transport = hostile.Contains("%00", StringComparison.Ordinal) ? 400 : null;
                yield return new HostileCase($"{route} {parameter}={Short(hostile)}", () => Request(method, path, world.Body(rule), Token(world, rule, route)), field, transport);
            }
        }
    }

    private IEnumerable<HostileCase> BodyCases(RouteWorld world, string route, RouteRule rule, string? body)
    {
        if (body is null)
        {
            yield break;
        }

        var (method, pattern) = RouteMatrix.Split(route);
        var path = world.Path(pattern, rule);
        using var document = JsonDocument.Parse(body);
        var fields = document.RootElement.EnumerateObject().Select(property => (property.Name, Raw: property.Value.GetRawText())).ToList();
        foreach (var (field, valid) in fields)
        {
            foreach (var hostile in HostileValuesFor(field, valid))
            {
                var json = "{" + string.Join(",", fields.Select(other => $"\"{other.Name}\":{(other.Name == field ? hostile : other.Raw)}")) + "}";
                yield return new HostileCase($"{route} {field}={Short(hostile)}", () => Request(method, path, json, Token(world, rule, route)), field);
            }
        }
    }

    private static IEnumerable<string> HostileValuesFor(string field, string validRaw)
    {
        var values = HostileValues.AsEnumerable();
        if (!MultilineFields.Contains(field))
        {
            values = values.Concat(LineBreaks);
        }

        var valid = JsonSerializer.Deserialize<string>(validRaw)!;
        if (IdFields.Contains(field) || EnumFields.Contains(field))
        {
            // Look-alikes: what normalization (NFKC, case folding, confusables) would turn into the valid value.
            string[] lookAlikes =
            [
                string.Concat(valid.Select(character => character is >= '!' and <= '~' ? (char)(character + 0xFEE0) : character)),
                valid.Replace('a', 'а').Replace('o', 'о').Replace('e', 'е').Replace('c', 'с'),
                valid + "\u200B",
                valid + " ",
                valid.Normalize(NormalizationForm.FormD) + "\u0301",
            ];
            values = values.Concat(lookAlikes.Select(value => JsonSerializer.Serialize(value)));
            if (EnumFields.Contains(field))
            {
                values = values.Append(JsonSerializer.Serialize(valid.ToUpperInvariant()));
            }
            else
            {
                values = values.Append(JsonSerializer.Serialize(new string('a', 65)));
            }
        }

        if (field == "scheduledStart")
        {
            values = values.Concat(["\"2026-13-45T00:00:00Z\"", "\"9999-12-31T23:59:59Z\"", "\"0001-01-01T00:00:00Z\"", "\"2030-01-01T00:00:00+99:00\"", "\"tomorrow\"", "99999999999999999999"]);
        }

        if (field == "avatarUrl")
        {
            values = values.Concat(["\"javascript:alert(1)\"", "\"http://a\\u0000b.example\"", "\"https://example.com/\\n\"", "\"file:///etc/passwd\"", $"\"https://example.com/{new string('a', 2100)}\""]);
        }

        return values;
    }

    private IEnumerable<HostileCase> WholeBodyCases(RouteWorld world, string route, RouteRule rule)
    {
        var body = world.Body(rule);
        if (body is null)
        {
            yield break;
        }

        var (method, pattern) = RouteMatrix.Split(route);
        var path = world.Path(pattern, rule);
        var token = Token(world, rule, route);
        foreach (var contentType in new[] { "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json-patch+json+evil" })
        {
            yield return new HostileCase($"{route} content-type {contentType}", () => Request(method, path, body, token, contentType), "body");
        }

        yield return new HostileCase($"{route} no content-type", () => Request(method, path, body, token, contentType: null), "body");
        string[] bodies =
        [
            new string('[', 3000) + new string(']', 3000),
            string.Concat(Enumerable.Repeat("{\"a\":", 1500)) + "1" + new string('}', 1500),
            "{\"x\":" + new string('[', 2000) + new string(']', 2000) + "}",
            body[..^1],
            "1e400",
            "123456789012345678901234567890",
            "null",
            "[]",
            "\"text\"",
            "",
            "{\"a\":1,}",
        ];
        foreach (var hostile in bodies)
        {
            yield return new HostileCase($"{route} body={Short(hostile)}", () => Request(method, path, hostile, token), "body");
        }

        yield return new HostileCase($"{route} body of 17 KiB", () => Request(method, path, body[..^1] + ",\"pad\":\"" + new string('x', 17 * 1024) + "\"}", token), "body");
        // The bytes land inside the first member's value, so the answer names that member.
        var firstField = JsonDocument.Parse(body).RootElement.EnumerateObject().First().Name;
        yield return new HostileCase($"{route} invalid UTF-8", () =>
        {
            var request = Request(method, path, null, token);
            var bytes = Encoding.UTF8.GetBytes(body).ToList();
            bytes.InsertRange(body.IndexOf(':', StringComparison.Ordinal) + 2, new byte[] { 0xFF, 0xC0, 0xAF });
            request.Content = new ByteArrayContent([.. bytes]);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            return request;
        }, firstField);
    }

    private IEnumerable<HostileCase> PagingCases(RouteWorld world, string route, RouteRule rule)
    {
        var (method, pattern) = RouteMatrix.Split(route);
        var path = world.Path(pattern, rule);
        foreach (var limit in new[] { "0", "-1", "101", "2147483648", "99999999999999999999", "abc", "1.5", "1e3", "%00", "%EF%BC%91" })
        {
            yield return new HostileCase($"{route} limit={limit}", () => Request(method, $"{path}?limit={limit}", null, Token(world, rule, route)), "limit");
        }

        foreach (var after in new[] { "%00", "abc%0A", new string('9', 201), "%ED%A0%80", "-1", "99999999999999999999999", Uri.EscapeDataString("１２") })
        {
            yield return new HostileCase($"{route} after={Short(after)}", () => Request(method, $"{path}?after={after}", null, Token(world, rule, route)), "after");
        }
    }

    private IEnumerable<HostileCase> HeaderCases(RouteWorld world)
    {
        foreach (var route in new[] { "POST /livestream", "POST /mentor/{mentorId}/live/{liveId}/reaction" })
        {
            var rule = RouteMatrix.Entries[route];
            var (method, pattern) = RouteMatrix.Split(route);
            var path = world.Path(pattern, rule);
            foreach (var key in new[] { new string('k', 201), new string('k', 10_000), "a\tb", "key\u007f" })
            {
                yield return new HostileCase($"{route} Idempotency-Key={Short(key)}", () =>
                {
                    var request = Request(method, path, world.Body(rule), Token(world, rule, route));
                    request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
                    return request;
                }, "Idempotency-Key");
            }
        }

        var profile = world.Path("/mentor/{mentorId}", RouteMatrix.Entries["PUT /mentor/{mentorId}"]);
        yield return new HostileCase("authorization header of 40 KiB", () =>
        {
            var request = Request("PUT", profile, RouteMatrix.ProfileJson, token: null);
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + new string('a', 40 * 1024));
            return request;
        }, null, TransportStatus: 431);
        yield return new HostileCase("authorization header of 20 KiB", () =>
        {
            var request = Request("PUT", profile, RouteMatrix.ProfileJson, token: null);
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + new string('a', 20 * 1024));
            return request;
        }, null);
        yield return new HostileCase("300 headers", () =>
        {
            var request = Request("PUT", profile, RouteMatrix.ProfileJson, world.MentorToken);
            for (var i = 0; i < 300; i++)
            {
                request.Headers.TryAddWithoutValidation($"X-Pad-{i}", new string('p', 200));
            }

            return request;
        }, null, TransportStatus: 431);
        yield return new HostileCase("request line of 10 KiB", () => Request("GET", $"/mentor/{new string('a', 10 * 1024)}", null, world.MentorToken), null, TransportStatus: 414);
    }

    /// <summary>Reaction POSTs get a fresh viewer each, so the per-user rate limit never answers before validation.</summary>
    private string Token(RouteWorld world, RouteRule rule, string route) =>
        route.StartsWith("POST /mentor/", StringComparison.Ordinal) && route.EndsWith("/reaction", StringComparison.Ordinal)
            ? TestTokens.Create(fixture.SigningKey, Ids.New("viewer"), "mentee")
            : world.OwnerToken(rule);

    private static HttpRequestMessage Request(string method, string path, string? body, string? token, string? contentType = "application/json")
    {
        var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (contentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    private static async Task<string?> CheckAsync(HttpClient http, HostileCase hostile)
    {
        using var request = hostile.Request();
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var status = (int)response.StatusCode;
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        var body = mediaType == "text/event-stream" ? "(event stream)" : await response.Content.ReadAsStringAsync();
        if (hostile.TransportStatus is { } transport)
        {
            return status == transport ? null : $"{hostile.Name}: expected Kestrel's {transport}, got {status}: {Short(body)}";
        }

        if (status is < 400 or >= 500 || mediaType != "application/problem+json")
        {
            return $"{hostile.Name}: expected a 4xx problem+json, got {status} {mediaType}: {Short(body)}";
        }

        if (hostile.Field is { } field)
        {
            using var problem = JsonDocument.Parse(body);
            if (!problem.RootElement.TryGetProperty("errors", out var errors) || errors.ValueKind != JsonValueKind.Object || !errors.TryGetProperty(field, out _))
            {
                return $"{hostile.Name}: {status} does not name '{field}': {Short(body)}";
            }
        }

        return null;
    }

    /// <summary>Everything the world's owners can read back: profiles, courses, sessions, comments, counts, devices.</summary>
    private static async Task<string> ReadStoredAsync(ApiClient api, RouteWorld world)
    {
        string[] mentorReads =
        [
            $"/mentor/{world.MentorId}",
            $"/mentor/{world.MentorId}/live",
            $"/mentor/{world.MentorId}/live/{world.ScheduledLiveId}",
            $"/mentor/{world.MentorId}/live/{world.LiveId}",
            $"/mentor/{world.MentorId}/live/{world.LiveId}/reaction",
        ];
        var reads = new List<string>();
        foreach (var path in mentorReads)
        {
            reads.Add(await api.ReadAsync(path, world.MentorToken));
        }

        reads.Add(await api.ReadAsync($"/mentee/{world.MenteeId}", world.MenteeToken));
        reads.Add(await api.ReadAsync($"/mentee/{world.MenteeId}/notifications", world.MenteeToken));
        // Media URLs are signed afresh on every read (a new expiry); what is stored is the URL without its token.
        return System.Text.RegularExpressions.Regex.Replace(string.Join("\n", reads), "/media/[^/\"]+/", "/media/");
    }

    private static string Short(string value) => value.Length > 60 ? $"{value[..40]}…({value.Length} chars)" : value;
}
