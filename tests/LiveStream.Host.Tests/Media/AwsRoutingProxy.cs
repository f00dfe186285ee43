using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using LiveStream.Infrastructure.Tests.Aws;
using LiveStream.Testing;

namespace LiveStream.Host.Tests.Media;

/// <summary>
/// The one AWS service URL the host is given: forwards everything to the emulator, except the two MediaLive /
/// MediaPackage calls the emulator lacks (input security groups, harvest jobs), which it records as received off the
/// wire (for signature and body checks) and answers the way AWS documents; input security groups are kept (created,
/// listed with their tags, deleted) so what a session leaves behind can be counted.
/// </summary>
internal sealed class AwsRoutingProxy : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _moto;
    private readonly ConcurrentQueue<CapturedRequest> _stubbed = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private int _groups;
    private readonly ConcurrentDictionary<string, JsonElement> _securityGroups = new(StringComparer.Ordinal);
    private readonly Lock _faults = new();
    private (Func<CapturedRequest, bool> Match, bool AfterForward)? _fault;
    private (Func<CapturedRequest, bool> Match, TaskCompletionSource Reached)? _hold;

    public AwsRoutingProxy(Uri motoUrl)
    {
        _moto = new HttpClient { BaseAddress = motoUrl };
        ServiceUrl = new Uri($"http://127.0.0.1:{FreePorts.Next()}/");
        _listener.Prefixes.Add(ServiceUrl.ToString());
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public Uri ServiceUrl { get; }

    /// <summary>
    /// Also the playback origin (CloudFront in production): GETs of a playlist answer 404 until the encoder's first
    /// segment is "out", then a playlist listing one segment.
    /// </summary>
    public bool PlaylistHasSegment { get; set; } = true;

    /// <summary>
    /// Fails the next AWS call matching <paramref name="match"/> with a non-retryable error. With
    /// <paramref name="afterForward"/> the emulator carries it out first (the answer is lost, as in a crash or a
    /// timeout after the service acted); stubbed calls are never carried out.
    /// </summary>
    public void FailNext(Func<CapturedRequest, bool> match, bool afterForward)
    {
        lock (_faults)
        {
            _fault = (match, afterForward);
        }
    }

    /// <summary>Never answers the next AWS call matching <paramref name="match"/>; the task completes when it arrives (the caller then kills the process).</summary>
    public Task HoldNextAsync(Func<CapturedRequest, bool> match)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_faults)
        {
            _hold = (match, reached);
        }

        return reached.Task;
    }

    /// <summary>The input security groups that exist (created and not deleted), with their tags.</summary>
    public IReadOnlyList<JsonElement> SecurityGroups => [.. _securityGroups.Values];

    /// <summary>The requests answered here rather than by the emulator.</summary>
    public IReadOnlyList<CapturedRequest> Stubbed => [.. _stubbed];

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (Exception) when (_stopping.IsCancellationRequested)
        {
        }

        _listener.Close();
        _moto.Dispose();
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

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        using var body = new MemoryStream();
        await context.Request.InputStream.CopyToAsync(body);
        var headers = context.Request.Headers.AllKeys.Where(k => k is not null)
            .ToDictionary(k => k!.ToLowerInvariant(), k => context.Request.Headers[k]!, StringComparer.Ordinal);
        var request = new CapturedRequest(context.Request.HttpMethod, context.Request.RawUrl ?? "/", headers, body.ToArray());
        var path = request.RawUrl.Split('?')[0];

        int status;
        string contentType;
        byte[] answer;
        (Func<CapturedRequest, bool> Match, bool AfterForward)? fault = null;
        (Func<CapturedRequest, bool> Match, TaskCompletionSource Reached)? held = null;
        lock (_faults)
        {
            if (_fault is { } armed && armed.Match(request))
            {
                (fault, _fault) = (armed, null);
            }

            if (_hold is { } hold && hold.Match(request))
            {
                (held, _hold) = (hold, null);
            }
        }

        if (held is { } holding)
        {
            // The caller kills the process now; this request never gets an answer.
            holding.Reached.TrySetResult();
            await Task.Delay(Timeout.Infinite, _stopping.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            return;
        }

        if (fault is { AfterForward: false })
        {
            (status, contentType, answer) = Injected();
        }
        // The CDN in front of MediaPackage. MediaPackage's HLS endpoint URL ends in index.m3u8; moto's is the endpoint
        // id (livestream-{liveId}-hls), so both are the live playlist here.
        else if (request.Method == "GET" && (path.EndsWith(".m3u8", StringComparison.Ordinal) || path.EndsWith("-hls", StringComparison.Ordinal)))
        {
            (status, contentType, answer) = PlaylistHasSegment
                ? (200, "application/vnd.apple.mpegurl", Encoding.UTF8.GetBytes("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.000,\nsegment-0.ts\n"))
                : (404, "text/plain", Encoding.UTF8.GetBytes("not found"));
        }
        else if (path.StartsWith("/prod/inputSecurityGroups", StringComparison.Ordinal) || path.StartsWith("/harvest_jobs", StringComparison.Ordinal))
        {
            _stubbed.Enqueue(request);
            var (stubStatus, stubBody) = StubAnswer(request, path);
            (status, contentType, answer) = (stubStatus, "application/json", Encoding.UTF8.GetBytes(stubBody));
        }
        else
        {
            using var forward = new HttpRequestMessage(new HttpMethod(request.Method), request.RawUrl.TrimStart('/'));
            if (request.Body.Length > 0 || request.Method is "POST" or "PUT")
            {
                forward.Content = new ByteArrayContent(request.Body);
                if (headers.TryGetValue("content-type", out var type))
                {
                    forward.Content.Headers.TryAddWithoutValidation("Content-Type", type);
                }
            }

            foreach (var (name, value) in headers)
            {
                if (name is not ("host" or "content-length" or "content-type" or "connection" or "expect"))
                {
                    forward.Headers.TryAddWithoutValidation(name, value);
                }
            }

            using var response = await _moto.SendAsync(forward);
            status = (int)response.StatusCode;
            contentType = response.Content.Headers.ContentType?.ToString() ?? "application/json";
            answer = await response.Content.ReadAsByteArrayAsync();
        }

        if (fault is { AfterForward: true })
        {
            (status, contentType, answer) = Injected();
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        context.Response.ContentLength64 = answer.Length;
        await context.Response.OutputStream.WriteAsync(answer);
        context.Response.Close();
    }

    private static (int, string, byte[]) Injected() =>
        (400, "application/json", Encoding.UTF8.GetBytes("{\"message\":\"Injected fault\",\"__type\":\"BadRequestException\"}"));

    private (int Status, string Body) StubAnswer(CapturedRequest request, string path)
    {
        if (path.StartsWith("/prod/inputSecurityGroups", StringComparison.Ordinal) && request.Method != "POST")
        {
            if (request.Method == "GET")
            {
                return (200, JsonSerializer.Serialize(new { inputSecurityGroups = _securityGroups.Values.ToArray() }));
            }

            return request.Method == "DELETE" && _securityGroups.TryRemove(path[(path.LastIndexOf('/') + 1)..], out _)
                ? (200, "{}")
                : (404, "{\"message\":\"Input security group not found\",\"__type\":\"NotFoundException\"}");
        }

        if (request.Method != "POST")
        {
            return (200, "{}");
        }

        using var json = JsonDocument.Parse(request.Body);
        if (path.StartsWith("/prod/inputSecurityGroups", StringComparison.Ordinal))
        {
            var id = (1000000 + Interlocked.Increment(ref _groups)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var group = JsonSerializer.SerializeToElement(new
            {
                id,
                arn = $"arn:aws:medialive:us-east-1:123456789012:inputSecurityGroup:{id}",
                state = "IDLE",
                whitelistRules = json.RootElement.GetProperty("whitelistRules"),
                inputs = Array.Empty<string>(),
                tags = json.RootElement.TryGetProperty("tags", out var tags) ? tags.Clone() : JsonSerializer.SerializeToElement(new { }),
            });
            _securityGroups[id] = group;
            return (200, JsonSerializer.Serialize(new { securityGroup = group }));
        }

        var root = json.RootElement;
        return (200, JsonSerializer.Serialize(new
        {
            id = root.GetProperty("id").GetString(),
            arn = $"arn:aws:mediapackage:us-east-1:123456789012:harvest_jobs/{root.GetProperty("id").GetString()}",
            channelId = "unknown",
            originEndpointId = root.GetProperty("originEndpointId").GetString(),
            status = "IN_PROGRESS",
            startTime = root.GetProperty("startTime").GetString(),
            endTime = root.GetProperty("endTime").GetString(),
            createdAt = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            s3Destination = root.GetProperty("s3Destination"),
        }));
    }
}
