using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace LiveStream.Testing;

/// <summary>One span as an OTLP exporter sent it, with the resource attributes of the process that sent it.</summary>
public sealed record OtlpSpan(
    string TraceId,
    string SpanId,
    string? ParentSpanId,
    string Name,
    int Kind,
    IReadOnlyDictionary<string, string> Attributes,
    IReadOnlyDictionary<string, string> Resource,
    IReadOnlyList<(string TraceId, string SpanId)> Links)
{
    public string? Attribute(string key) => Attributes.GetValueOrDefault(key);

    public override string ToString() => $"{Resource.GetValueOrDefault("livestream.role")}:{Name} {SpanId}<-{ParentSpanId}";
}

/// <summary>
/// A tiny OTLP/HTTP receiver (protobuf, the .NET exporter's <c>http/protobuf</c> protocol) served by a test: the
/// processes under test export to it as they would to a collector. It keeps every span; metrics and logs are
/// accepted and dropped. Only the fields a span tree needs are decoded (opentelemetry-proto trace/v1).
/// </summary>
public sealed class OtlpTraceReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<OtlpSpan> _spans = new();
    private readonly Task _loop;

    private OtlpTraceReceiver(int port)
    {
        Endpoint = new Uri($"http://127.0.0.1:{port}");
        _listener.Prefixes.Add($"{Endpoint}");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>The base address for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (the exporter appends <c>/v1/traces</c>).</summary>
    public Uri Endpoint { get; }

    public IReadOnlyList<OtlpSpan> Spans => [.. _spans];

    /// <summary>The settings that make a host process export its traces here, promptly.</summary>
    public IReadOnlyDictionary<string, string> ExporterSettings => new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint.ToString().TrimEnd('/'),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "60000",
    };

    public static OtlpTraceReceiver Start() => new(FreePorts.Next());

    /// <summary>Waits until the spans received satisfy <paramref name="condition"/>; returns them.</summary>
    public async Task<IReadOnlyList<OtlpSpan>> WaitForAsync(Func<IReadOnlyList<OtlpSpan>, bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var spans = Spans;
            if (condition(spans))
            {
                return spans;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No {what} within the timeout; received:\n{string.Join('\n', spans.Select(s => s.ToString()))}");
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
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
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            if (context.Request.Url?.AbsolutePath == "/v1/traces")
            {
                foreach (var span in DecodeTraces(body.ToArray()))
                {
                    _spans.Enqueue(span);
                }
            }

            // An empty Export*ServiceResponse: everything accepted.
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    // ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
    // ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
    // Resource { repeated KeyValue attributes = 1; }   ScopeSpans { repeated Span spans = 2; }
    // Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; SpanKind kind = 6;
    //        repeated KeyValue attributes = 9; repeated Link links = 13; }   Link { bytes trace_id = 1; bytes span_id = 2; }
    // KeyValue { string key = 1; AnyValue value = 2; }   AnyValue { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; }
    private static List<OtlpSpan> DecodeTraces(byte[] request)
    {
        var spans = new List<OtlpSpan>();
        foreach (var (field, resourceSpans) in Fields(request))
        {
            if (field != 1)
            {
                continue;
            }

            var resource = new Dictionary<string, string>(StringComparer.Ordinal);
            var scopes = new List<byte[]>();
            foreach (var (f, value) in Fields(resourceSpans))
            {
                if (f == 1)
                {
                    foreach (var (a, attribute) in Fields(value))
                    {
                        if (a == 1)
                        {
                            AddKeyValue(resource, attribute);
                        }
                    }
                }
                else if (f == 2)
                {
                    scopes.Add(value);
                }
            }

            foreach (var scope in scopes)
            {
                foreach (var (f, span) in Fields(scope))
                {
                    if (f == 2)
                    {
                        spans.Add(DecodeSpan(span, resource));
                    }
                }
            }
        }

        return spans;
    }

    private static OtlpSpan DecodeSpan(byte[] span, IReadOnlyDictionary<string, string> resource)
    {
        string traceId = "", spanId = "", name = "";
        string? parent = null;
        var kind = 0;
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        var links = new List<(string, string)>();
        foreach (var (field, value) in Fields(span, varint: (f, v) => kind = f == 6 ? (int)v : kind))
        {
            switch (field)
            {
                case 1: traceId = Convert.ToHexStringLower(value); break;
                case 2: spanId = Convert.ToHexStringLower(value); break;
                case 4: parent = value.Length == 0 ? null : Convert.ToHexStringLower(value); break;
                case 5: name = Encoding.UTF8.GetString(value); break;
                case 9: AddKeyValue(attributes, value); break;
                case 13:
                    string linkTrace = "", linkSpan = "";
                    foreach (var (l, v) in Fields(value))
                    {
                        if (l == 1)
                        {
                            linkTrace = Convert.ToHexStringLower(v);
                        }
                        else if (l == 2)
                        {
                            linkSpan = Convert.ToHexStringLower(v);
                        }
                    }

                    links.Add((linkTrace, linkSpan));
                    break;
            }
        }

        return new OtlpSpan(traceId, spanId, parent, name, kind, attributes, resource, links);
    }

    private static void AddKeyValue(Dictionary<string, string> into, byte[] keyValue)
    {
        string? key = null, value = null;
        foreach (var (field, bytes) in Fields(keyValue))
        {
            if (field == 1)
            {
                key = Encoding.UTF8.GetString(bytes);
            }
            else if (field == 2)
            {
                foreach (var (f, v) in Fields(bytes, varint: (vf, number) => value = vf is 2 or 3 ? number.ToString(System.Globalization.CultureInfo.InvariantCulture) : value))
                {
                    if (f == 1)
                    {
                        value = Encoding.UTF8.GetString(v);
                    }
                }
            }
        }

        if (key is not null)
        {
            into[key] = value ?? "";
        }
    }

    /// <summary>The length-delimited fields of a message (varints go to <paramref name="varint"/>; fixed-width ones are skipped).</summary>
    private static List<(int Field, byte[] Value)> Fields(byte[] message, Action<int, ulong>? varint = null)
    {
        var fields = new List<(int, byte[])>();
        var position = 0;
        while (position < message.Length)
        {
            var tag = ReadVarint(message, ref position);
            var field = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0:
                    varint?.Invoke(field, ReadVarint(message, ref position));
                    break;
                case 1:
                    position += 8;
                    break;
                case 2:
                    var length = (int)ReadVarint(message, ref position);
                    fields.Add((field, message[position..(position + length)]));
                    position += length;
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"Unsupported protobuf wire type {tag & 7}.");
            }
        }

        return fields;
    }

    private static ulong ReadVarint(byte[] buffer, ref int position)
    {
        ulong result = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = buffer[position++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }
    }
}
