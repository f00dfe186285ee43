using System.Net;
using System.Text;
using System.Text.Json;
using LiveStream.Testing;

namespace LiveStream.Host.Tests.Api;

/// <summary>
/// Issue 12 point 7: <c>/openapi/v1.json</c> is a contract other teams generate clients from, so every operation
/// carries an <c>operationId</c>, its security and each problem status it can answer, and what the API really
/// answers to bad requests is in the document. test.sh lints the exported document with Redocly afterwards.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class OpenApiContractTests(ApiFixture fixture)
{
    /// <summary>Where test.sh's contract step (tools/api-lint/check.sh) reads the document from.</summary>
    public static string ExportPath { get; } = Path.Combine(NginxRtmp.RepositoryRoot, ".local", "openapi", "v1.json");

    [Fact]
    public async Task Every_operation_has_an_operation_id_its_security_and_problem_statuses()
    {
        // Arrange
        using var client = fixture.CreateClient();

        // Act
        var text = await client.Http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        Directory.CreateDirectory(Path.GetDirectoryName(ExportPath)!);
        await File.WriteAllTextAsync(ExportPath, text);
        var document = JsonDocument.Parse(text).RootElement;

        // Assert
        Assert.True(document.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("Bearer", out var bearer));
        Assert.Equal("bearer", bearer.GetProperty("scheme").GetString());
        var ids = new HashSet<string>();
        foreach (var (method, path, operation) in Operations(document))
        {
            var name = $"{method.ToUpperInvariant()} {path}";
            Assert.True(operation.TryGetProperty("operationId", out var id) && id.GetString() is { Length: > 0 }, $"{name} has no operationId");
            Assert.True(ids.Add(id.GetString()!), $"{name} repeats operationId {id}");
            Assert.True(operation.TryGetProperty("security", out var security), $"{name} states no security (not even none)");
            var statuses = Statuses(operation);
            if (security.GetArrayLength() > 0)
            {
                Assert.True(statuses.Contains(401) && statuses.Contains(503), $"{name} is secured but documents no 401/503");
            }

            if (operation.TryGetProperty("parameters", out _) || operation.TryGetProperty("requestBody", out _))
            {
                Assert.True(statuses.Contains(400), $"{name} takes input but documents no 400");
            }

            foreach (var response in operation.GetProperty("responses").EnumerateObject().Where(response => response.Name[0] is '4' or '5' && !path.StartsWith("/health", StringComparison.Ordinal)))
            {
                var schema = response.Value.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema");
                Assert.Equal("#/components/schemas/Problem", schema.GetProperty("$ref").GetString());
            }
        }

        // DESIGN §3 lists these; each must be described.
        string[] expected =
        [
            "POST /auth/dev-token", "PUT /mentor/{mentorId}", "GET /mentor/{mentorId}", "PUT /mentor/{mentorId}/courses/{courseId}",
            "PUT /mentee/{menteeId}", "GET /mentee/{menteeId}", "PUT /mentee/{menteeId}/following/{mentorId}", "DELETE /mentee/{menteeId}/following/{mentorId}",
            "PUT /mentee/{menteeId}/devices/{deviceId}", "GET /mentee/{menteeId}/notifications", "POST /livestream", "GET /livestream/{liveId}/ingest",
            "POST /livestream/{liveId}/start", "POST /livestream/{liveId}/stop", "DELETE /livestream/{liveId}", "GET /mentor/{mentorId}/live",
            "GET /mentor/{mentorId}/live/{liveId}", "POST /mentor/{mentorId}/live/{liveId}/reaction", "GET /mentor/{mentorId}/live/{liveId}/reaction",
            "GET /mentor/{mentorId}/live/{liveId}/reaction/stream", "DELETE /mentor/{mentorId}/live/{liveId}/reaction/comments/{commentId}",
            "PUT /mentor/{mentorId}/live/{liveId}/muted/{userId}", "DELETE /mentor/{mentorId}/live/{liveId}/muted/{userId}",
            "GET /media/player-config", "GET /health/live", "GET /health/ready",
        ];
        var described = Operations(document).Select(operation => $"{operation.Method.ToUpperInvariant()} {operation.Path}").ToHashSet();
        Assert.Empty(expected.Except(described));
    }

    [Fact]
    public async Task Every_problem_status_the_api_answers_to_bad_requests_is_documented()
    {
        // Arrange
        using var client = fixture.CreateClient();
        var document = JsonDocument.Parse(await client.Http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative))).RootElement;
        var mentee = await client.TokenAsync(Ids.New("probe-mentee"), "mentee");
        var mentor = await client.TokenAsync(Ids.New("probe-mentor"), "mentor");
        var undocumented = new List<string>();

        foreach (var (method, path, operation) in Operations(document).Where(operation => !operation.Path.StartsWith("/health", StringComparison.Ordinal)))
        {
            var documented = Statuses(operation);
            var secured = operation.GetProperty("security").GetArrayLength() > 0;
            var hasBody = operation.TryGetProperty("requestBody", out _);
            var fresh = Fill(path, _ => Ids.New("p"));
            var probes = new List<(string Name, string Path, string? Token, string? Body)>
            {
                ("no token", fresh, null, hasBody ? "{}" : null),
                ("mentee, unknown ids", fresh, mentee, hasBody ? "{}" : null),
                ("mentor, unknown ids", fresh, mentor, hasBody ? "{}" : null),
            };
            if (path.Contains('{', StringComparison.Ordinal))
            {
                probes.Add(("invalid id", Fill(path, _ => "bad%20id!"), mentee, hasBody ? "{}" : null));
            }

            if (hasBody)
            {
                probes.Add(("malformed body", fresh, mentor, "{"));
                probes.Add(("17 KiB body", fresh, mentor, $$"""{"title":"{{new string('x', 17 * 1024)}}"}"""));
            }

            foreach (var probe in probes)
            {
                // Act
                var status = await StatusAsync(client.Http, new HttpMethod(method.ToUpperInvariant()), probe.Path, probe.Token, probe.Body);

                // Assert (collected, so one run names every gap)
                if (status >= 500 && status != 503 || status >= 400 && !documented.Contains(status))
                {
                    undocumented.Add($"{method.ToUpperInvariant()} {path} ({probe.Name}) answered {status}, documented: {string.Join(",", documented)}");
                }

                if (probe.Token is null && secured != (status == 401))
                {
                    undocumented.Add($"{method.ToUpperInvariant()} {path} without a token answered {status}, but its security is {(secured ? "bearer" : "none")}");
                }
            }
        }

        Assert.True(undocumented.Count == 0, string.Join('\n', undocumented));
    }

    private static async Task<int> StatusAsync(HttpClient http, HttpMethod method, string path, string? token, string? body)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (token is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        // The SSE feed answers with headers and then streams; its status is all a probe needs.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        return (int)response.StatusCode;
    }

    /// <summary>Route parameters replaced: numeric comment ids, a playlist file name, ids from <paramref name="id"/>.</summary>
    private static string Fill(string path, Func<string, string> id) => System.Text.RegularExpressions.Regex.Replace(path, "{(?<name>[^}]+)}", match => match.Groups["name"].Value switch
    {
        "commentId" => "1",
        "file" => "index.m3u8",
        var name => id(name),
    });

    private static IEnumerable<(string Method, string Path, JsonElement Operation)> Operations(JsonElement document) =>
        document.GetProperty("paths").EnumerateObject().SelectMany(path => path.Value.EnumerateObject()
            .Where(item => item.Name is "get" or "put" or "post" or "delete" or "patch")
            .Select(item => (item.Name, path.Name, item.Value)));

    private static HashSet<int> Statuses(JsonElement operation) =>
        operation.GetProperty("responses").EnumerateObject().Select(response => int.TryParse(response.Name, out var code) ? code : 0).ToHashSet();
}
