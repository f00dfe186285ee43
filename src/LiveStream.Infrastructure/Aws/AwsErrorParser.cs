using System.Net;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;

namespace LiveStream.Infrastructure.Aws;

internal enum AwsProtocol
{
    RestJson,
    Query,
}

internal readonly record struct AwsError(string Code, string? Message, string? RequestId);

/// <summary>Reads the error shape of each wire protocol into code, message and request id.</summary>
internal static class AwsErrorParser
{
    public static AwsError Parse(AwsProtocol protocol, HttpStatusCode status, HttpResponseMessage response, byte[] body)
    {
        var requestId = HeaderValue(response, "x-amzn-RequestId") ?? HeaderValue(response, "x-amz-request-id");
        var parsed = protocol == AwsProtocol.Query ? ParseXml(body) : ParseJson(response, body);
        var code = parsed.Code;
        if (string.IsNullOrEmpty(code))
        {
            // No code on the wire (e.g. a proxy's HTML error page): name it after the HTTP status so it is still branchable.
            code = status == HttpStatusCode.TooManyRequests ? "TooManyRequestsException" : $"Http{(int)status}";
        }

        return new AwsError(code, parsed.Message, parsed.RequestId ?? requestId);
    }

    internal static string? HeaderValue(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static AwsError ParseJson(HttpResponseMessage response, byte[] body)
    {
        // rest-json services put the code in x-amzn-ErrorType ("Code:http://internal..."), and/or in the body
        // as __type ("namespace#Code") or code.
        string? code = HeaderValue(response, "x-amzn-ErrorType");
        string? message = null;
        if (body.Length > 0)
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    code ??= StringProperty(document.RootElement, "__type") ?? StringProperty(document.RootElement, "code")
                        ?? StringProperty(document.RootElement, "Code");
                    message = StringProperty(document.RootElement, "message") ?? StringProperty(document.RootElement, "Message");
                }
            }
            catch (JsonException)
            {
                // Not JSON: keep whatever the headers told us.
            }
        }

        return new AwsError(NormalizeCode(code) ?? string.Empty, message, null);
    }

    private static AwsError ParseXml(byte[] body)
    {
        if (body.Length == 0)
        {
            return new AwsError(string.Empty, null, null);
        }

        try
        {
            using var stream = new MemoryStream(body);
            var document = XDocument.Load(stream);
            var error = document.Descendants().FirstOrDefault(e => e.Name.LocalName == "Error");
            var code = error?.Elements().FirstOrDefault(e => e.Name.LocalName == "Code")?.Value;
            var message = error?.Elements().FirstOrDefault(e => e.Name.LocalName == "Message")?.Value;
            var requestId = document.Descendants().FirstOrDefault(e => e.Name.LocalName == "RequestId")?.Value;
            return new AwsError(code?.Trim() ?? string.Empty, message, requestId);
        }
        catch (XmlException)
        {
            return new AwsError(string.Empty, null, null);
        }
    }

    private static string? NormalizeCode(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return null;
        }

        var code = raw;
        var colon = code.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            code = code[..colon];
        }

        var hash = code.LastIndexOf('#');
        if (hash >= 0)
        {
            code = code[(hash + 1)..];
        }

        return code.Trim();
    }

    private static string? StringProperty(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
