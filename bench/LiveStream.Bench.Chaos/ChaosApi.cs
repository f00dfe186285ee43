using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace LiveStream.Bench.Chaos;

/// <summary>JSON over HTTP to the API processes; every call names the process it goes to.</summary>
public sealed class ChaosApi : IDisposable
{
    private readonly HttpClient[] _clients;

    public ChaosApi(IReadOnlyList<Uri> apis)
    {
        // Requests can legitimately wait out a membership change (the front end retries inside), so the
        // timeout is above the server's retry budget and Orleans' response timeout.
        _clients = [.. apis.Select(uri => new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = uri,
            Timeout = TimeSpan.FromSeconds(45),
        })];
    }

    public int Count => _clients.Length;

    private int _unavailableWithoutRetryAfter;

    /// <summary>503 answers that carried no Retry-After (the contract says every 503 does).</summary>
    public int UnavailableWithoutRetryAfter => Volatile.Read(ref _unavailableWithoutRetryAfter);

    public async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(
        int api, HttpMethod method, string path, object? body = null, string? token = null, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body, JsonSerializerOptions.Web), Encoding.UTF8, "application/json");
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        using var response = await _clients[api % _clients.Length].SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter is null)
        {
            Interlocked.Increment(ref _unavailableWithoutRetryAfter);
        }

        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var json = text.Length > 0 && response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) == true
            ? JsonDocument.Parse(text).RootElement.Clone()
            : default;
        return (response.StatusCode, json);
    }

    /// <summary>For seeding and verification: anything but the expected status stops the run.</summary>
    public async Task<JsonElement> ExpectAsync(
        HttpStatusCode expected, int api, HttpMethod method, string path, object? body = null, string? token = null, string? idempotencyKey = null)
    {
        var (status, json) = await SendAsync(api, method, path, body, token, idempotencyKey);
        return status == expected ? json : throw new InvalidOperationException($"{method} {path} on api{api % _clients.Length + 1}: expected {(int)expected}, got {(int)status} {json}");
    }

    public async Task<string> TokenAsync(string userId, string role) =>
        (await ExpectAsync(HttpStatusCode.OK, 0, HttpMethod.Post, "/auth/dev-token", new { userId, role })).GetProperty("token").GetString()!;

    /// <summary>The ingest server's callback (what nginx-rtmp calls when the mentor's encoder connects).</summary>
    public async Task PublishAsync(string callbackSecret, string streamKey)
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _clients[0].BaseAddress };
        using var response = await client.PostAsync(
            new Uri($"/internal/media/{callbackSecret}/publish", UriKind.Relative),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["call"] = "publish", ["name"] = streamKey, ["clientid"] = Guid.NewGuid().ToString("N") }));
        if ((int)response.StatusCode is < 200 or >= 400)
        {
            throw new InvalidOperationException($"publish callback answered {(int)response.StatusCode}");
        }
    }

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }
}
