using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.Channels;

namespace LiveStream.Host.Tests;

/// <summary>Reads a Server-Sent Events stream into (event, data) pairs as they arrive.</summary>
public sealed class SseClient : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly Channel<(string Event, JsonElement Data)> _events = Channel.CreateUnbounded<(string, JsonElement)>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;

    private SseClient(HttpResponseMessage response)
    {
        _response = response;
        _reading = ReadAsync();
    }

    /// <summary>Completes when the server ended the stream (or it was disposed).</summary>
    public Task Completion => _reading;

    public static async Task<SseClient> ConnectAsync(HttpClient http, string path, string token) => Read(await OpenAsync(http, path, token));

    /// <summary>The stream request's answer as it is, refused or not (headers read, body not).</summary>
    public static async Task<HttpResponseMessage> OpenAsync(HttpClient http, string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    /// <summary>Reads an accepted stream answer; it is disposed with the client.</summary>
    public static SseClient Read(HttpResponseMessage response)
    {
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new SseClient(response);
    }

    /// <summary>The next event of the given type, waiting at most <paramref name="timeout"/>.</summary>
    public async Task<JsonElement> NextAsync(string eventType, TimeSpan timeout, Func<JsonElement, bool>? match = null)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var (type, data) = await _events.Reader.ReadAsync(deadline.Token);
                if (type == eventType && (match is null || match(data)))
                {
                    return data;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No '{eventType}' event within {timeout}.");
        }
    }

    private async Task ReadAsync()
    {
        try
        {
            await using var stream = await _response.Content.ReadAsStreamAsync(_stop.Token);
            using var reader = new StreamReader(stream);
            var type = "message";
            var data = new List<string>();
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data.Count > 0)
                    {
                        _events.Writer.TryWrite((type, JsonDocument.Parse(string.Join('\n', data)).RootElement.Clone()));
                    }

                    type = "message";
                    data.Clear();
                }
                else if (line.StartsWith("event:", StringComparison.Ordinal))
                {
                    type = line["event:".Length..].Trim();
                }
                else if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    data.Add(line["data:".Length..].TrimStart());
                }
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException or HttpRequestException)
        {
        }
        finally
        {
            _events.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response.Dispose();
        await _reading;
        _stop.Dispose();
    }
}
