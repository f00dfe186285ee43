using System.Collections.Concurrent;
using System.Net;
using System.Text;
using LiveStream.Testing;

namespace LiveStream.Infrastructure.Tests.Aws;

/// <summary>A request as the stub received it off the wire.</summary>
internal sealed record CapturedRequest(string Method, string RawUrl, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string BodyText => Encoding.UTF8.GetString(Body);

    public string Header(string name) =>
        Headers.TryGetValue(name, out var value) ? value : throw new Xunit.Sdk.XunitException($"The request had no {name} header.");
}

internal sealed record StubResponse(int Status, string Body, string ContentType = "application/json")
{
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// A scripted AWS stand-in on a free loopback port, for calls the emulator does not implement and for failure
/// modes it cannot produce. Records every request exactly as received, answers from a queue (200 "{}" once empty).
/// </summary>
internal sealed class AwsStubServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<StubResponse> _responses = new();
    private readonly ConcurrentQueue<CapturedRequest> _requests = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    private AwsStubServer(int port)
    {
        ServiceUrl = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(ServiceUrl.ToString());
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public Uri ServiceUrl { get; }

    public IReadOnlyList<CapturedRequest> Requests => [.. _requests];

    public static AwsStubServer Start() => new(FreePorts.Next());

    public AwsStubServer Respond(params StubResponse[] responses)
    {
        foreach (var response in responses)
        {
            _responses.Enqueue(response);
        }

        return this;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (HttpListenerException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _listener.Close();
        _stopping.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var headers = context.Request.Headers.AllKeys
                .Where(k => k is not null)
                .ToDictionary(k => k!.ToLowerInvariant(), k => context.Request.Headers[k]!, StringComparer.Ordinal);
            _requests.Enqueue(new CapturedRequest(context.Request.HttpMethod, context.Request.RawUrl ?? "/", headers, body.ToArray()));

            var response = _responses.TryDequeue(out var scripted) ? scripted : new StubResponse(200, "{}");
            var bytes = Encoding.UTF8.GetBytes(response.Body);
            context.Response.StatusCode = response.Status;
            context.Response.ContentType = response.ContentType;
            foreach (var (name, value) in response.Headers)
            {
                context.Response.Headers[name] = value;
            }

            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }
}
