using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Xml;
using System.Xml.Linq;
using LiveStream.Infrastructure.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LiveStream.Infrastructure.Aws;

/// <summary>
/// The one piece every LiveStream AWS client goes through: builds the endpoint (regional, or the single
/// <see cref="AwsOptions.ServiceUrl"/>), signs with SigV4, retries throttling and transient failures with
/// jittered exponential backoff, and turns error responses into <see cref="AwsServiceException"/>.
/// Speaks the two wire protocols LiveStream needs: rest-json (MediaLive, MediaPackage) and query/XML (SNS).
/// </summary>
public sealed class AwsClientCore
{
    private const string JsonContentType = "application/json";
    private const string FormContentType = "application/x-www-form-urlencoded; charset=utf-8";

    private readonly HttpClient _httpClient;
    private readonly AwsOptions _options;
    private readonly AwsCredentialsSource _credentials;
    private readonly ILogger<AwsClientCore> _logger;
    private readonly TimeProvider _timeProvider;
    private readonly Lazy<string> _region;

    public AwsClientCore(
        HttpClient httpClient,
        IOptions<AwsOptions> options,
        AwsCredentialsSource credentials,
        ILogger<AwsClientCore> logger,
        TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _httpClient = httpClient;
        _options = options.Value;
        _credentials = credentials;
        _logger = logger;
        _timeProvider = timeProvider;
        _region = new Lazy<string>(_options.ResolveRegion);
    }

    /// <summary>The region requests are signed for and regional endpoints are built from.</summary>
    public string Region => _region.Value;

    /// <summary>Calls a rest-json operation with a JSON body and reads the JSON answer.</summary>
    /// <param name="path">Unescaped resource path, e.g. <c>/prod/channels/1234</c>; each segment is escaped here.</param>
    public async Task<TResponse> SendJsonAsync<TRequest, TResponse>(
        AwsService service,
        string operation,
        HttpMethod method,
        string path,
        TRequest body,
        JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType,
        CancellationToken cancellationToken)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(body, requestType);
        var response = await SendAsync(
            new AwsRequest(service, operation, method, path, payload, JsonContentType, AwsProtocol.RestJson), cancellationToken)
            .ConfigureAwait(false);
        return ReadJson(service, operation, response, responseType);
    }

    /// <summary>Calls a rest-json operation without a body and reads the JSON answer.</summary>
    public async Task<TResponse> SendJsonAsync<TResponse>(
        AwsService service,
        string operation,
        HttpMethod method,
        string path,
        JsonTypeInfo<TResponse> responseType,
        CancellationToken cancellationToken)
    {
        var response = await SendAsync(
            new AwsRequest(service, operation, method, path, null, null, AwsProtocol.RestJson), cancellationToken)
            .ConfigureAwait(false);
        return ReadJson(service, operation, response, responseType);
    }

    /// <summary>Calls a rest-json operation without a body whose answer carries nothing we need.</summary>
    public Task SendJsonAsync(AwsService service, string operation, HttpMethod method, string path, CancellationToken cancellationToken) =>
        SendAsync(new AwsRequest(service, operation, method, path, null, null, AwsProtocol.RestJson), cancellationToken);

    /// <summary>
    /// Calls a query-protocol operation (form-encoded POST of Action, Version and parameters) and returns the
    /// <c>{Action}Result</c> element of the XML answer, or the document root when the operation has no result.
    /// </summary>
    public async Task<XElement> SendQueryAsync(
        AwsService service,
        string action,
        string apiVersion,
        IEnumerable<KeyValuePair<string, string>> parameters,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiVersion);
        ArgumentNullException.ThrowIfNull(parameters);

        var form = new StringBuilder();
        AppendFormField(form, "Action", action);
        AppendFormField(form, "Version", apiVersion);
        foreach (var (name, value) in parameters)
        {
            AppendFormField(form, name, value);
        }

        var response = await SendAsync(
            new AwsRequest(service, action, HttpMethod.Post, "/", Encoding.UTF8.GetBytes(form.ToString()), FormContentType, AwsProtocol.Query),
            cancellationToken).ConfigureAwait(false);

        try
        {
            using var stream = new MemoryStream(response.Body);
            var document = XDocument.Load(stream);
            var root = document.Root ?? throw new XmlException("Empty XML document.");
            return root.Elements().FirstOrDefault(e => e.Name.LocalName == action + "Result") ?? root;
        }
        catch (XmlException exception)
        {
            throw new AwsServiceException(
                service.SigningName, action, response.StatusCode, AwsServiceException.MalformedResponseCode,
                exception.Message, response.RequestId, exception);
        }
    }

    private static void AppendFormField(StringBuilder form, string name, string value)
    {
        if (form.Length > 0)
        {
            form.Append('&');
        }

        form.Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
    }

    private static TResponse ReadJson<TResponse>(AwsService service, string operation, AwsResponse response, JsonTypeInfo<TResponse> type)
    {
        try
        {
            return JsonSerializer.Deserialize(response.Body, type)
                ?? throw new JsonException("The response body was JSON null.");
        }
        catch (JsonException exception)
        {
            throw new AwsServiceException(
                service.SigningName, operation, response.StatusCode, AwsServiceException.MalformedResponseCode,
                exception.Message, response.RequestId, exception);
        }
    }

    private async Task<AwsResponse> SendAsync(AwsRequest request, CancellationToken cancellationToken)
    {
        var service = request.Service.SigningName;
        var maxAttempts = Math.Max(0, _options.MaxErrorRetry) + 1;
        using var activity = LiveStreamTelemetry.StartAwsCall(service, request.Operation);
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var started = Stopwatch.GetTimestamp();
            HttpResponseMessage response;
            try
            {
                using var message = await CreateSignedMessageAsync(request, cancellationToken).ConfigureAwait(false);
                response = await _httpClient.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (IsTransportFailure(exception, cancellationToken) && attempt < maxAttempts)
            {
                // No answer at all (connection reset, DNS, HttpClient timeout): the call may or may not have
                // happened, which our creates tolerate (MediaLive idempotency token, MediaPackage caller ids).
                var wait = AwsRetryPolicy.Delay(attempt - 1, _options.RetryBaseDelay, _options.RetryMaxDelay, null, _timeProvider.GetUtcNow());
                AwsLog.RetryingTransport(_logger, exception, service, request.Operation, attempt, (long)wait.TotalMilliseconds);
                await Task.Delay(wait, _timeProvider, cancellationToken).ConfigureAwait(false);
                continue;
            }

            using (response)
            {
                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                var status = response.StatusCode;
                activity?.SetTag("http.response.status_code", (int)status);
                AwsLog.Completed(_logger, service, request.Operation, (int)status, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, attempt);
                if (response.IsSuccessStatusCode)
                {
                    return new AwsResponse(status, body, AwsErrorParser.HeaderValue(response, "x-amzn-RequestId"));
                }

                var error = AwsErrorParser.Parse(request.Protocol, status, response, body);
                if (AwsRetryPolicy.IsRetryable(status, error.Code))
                {
                    if (attempt < maxAttempts)
                    {
                        var wait = AwsRetryPolicy.Delay(
                            attempt - 1, _options.RetryBaseDelay, _options.RetryMaxDelay, response.Headers.RetryAfter, _timeProvider.GetUtcNow());
                        AwsLog.RetryingError(
                            _logger, service, request.Operation, attempt, (int)status, error.Code, error.RequestId, (long)wait.TotalMilliseconds);
                        await Task.Delay(wait, _timeProvider, cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    AwsLog.GaveUp(_logger, service, request.Operation, status, error.Code, attempt);
                }
                else
                {
                    AwsLog.Failed(_logger, service, request.Operation, status, error.Code, error.RequestId, error.Message);
                }

                throw new AwsServiceException(service, request.Operation, status, error.Code, error.Message, error.RequestId);
            }
        }
    }

    private static bool IsTransportFailure(Exception exception, CancellationToken cancellationToken) =>
        exception is HttpRequestException
        || (exception is TaskCanceledException && !cancellationToken.IsCancellationRequested);

    private async Task<HttpRequestMessage> CreateSignedMessageAsync(AwsRequest request, CancellationToken cancellationToken)
    {
        var credentials = await _credentials.GetAsync(cancellationToken).ConfigureAwait(false);
        var (uri, rawPath) = BuildUri(request.Service, request.Path);
        var message = new HttpRequestMessage(request.Method, uri);
        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(request.ContentType!);
        }

        // Signed per attempt: a retry after a long backoff must carry a fresh X-Amz-Date.
        AwsRequestSigner.Sign(
            message, rawPath, request.Body ?? [], credentials, Region, request.Service.SigningName, _timeProvider.GetUtcNow().UtcDateTime);
        return message;
    }

    private (Uri Uri, string RawPath) BuildUri(AwsService service, string path)
    {
        var baseUri = _options.ServiceUrl ?? RegionalEndpoint(service);
        var basePath = Uri.UnescapeDataString(baseUri.AbsolutePath).TrimEnd('/');
        var rawPath = basePath + (path.StartsWith('/') ? path : "/" + path);
        var escaped = string.Join('/', rawPath.Split('/').Select(Uri.EscapeDataString));
        return (new Uri(baseUri.GetLeftPart(UriPartial.Authority) + escaped), rawPath);
    }

    private Uri RegionalEndpoint(AwsService service)
    {
        var suffix = Region.StartsWith("cn-", StringComparison.Ordinal) ? "amazonaws.com.cn" : "amazonaws.com";
        return new Uri($"https://{service.EndpointPrefix}.{Region}.{suffix}/");
    }

    private sealed record AwsRequest(
        AwsService Service, string Operation, HttpMethod Method, string Path, byte[]? Body, string? ContentType, AwsProtocol Protocol);

    private sealed record AwsResponse(HttpStatusCode StatusCode, byte[] Body, string? RequestId);
}
