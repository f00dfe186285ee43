using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace LiveStream.Infrastructure.Tests.Aws;

/// <summary>
/// Recomputes a request's SigV4 signature from what arrived on the wire, written from the SigV4 specification
/// with plain HMAC-SHA256 and independent of the production signer, so a signer bug cannot hide behind itself.
/// </summary>
internal static partial class SigV4Verifier
{
    public static void AssertSigned(CapturedRequest request, string accessKey, string secretKey, string region, string service)
    {
        var problem = Check(request, accessKey, secretKey, region, service);
        Assert.True(problem is null, problem);
    }

    /// <summary>Null when the signature is valid, otherwise what is wrong with it.</summary>
    /// <param name="now">The clock the request's freshness is judged against; the AWS test vectors date from 2015.</param>
    public static string? Check(
        CapturedRequest request, string accessKey, string secretKey, string region, string service, DateTime? now = null)
    {
        if (!request.Headers.TryGetValue("authorization", out var authorization))
        {
            return "no Authorization header";
        }

        var match = AuthorizationPattern().Match(authorization);
        if (!match.Success)
        {
            return $"Authorization header not in SigV4 form: {authorization}";
        }

        var (credentialKey, date, scopeRegion, scopeService) =
            (match.Groups["key"].Value, match.Groups["date"].Value, match.Groups["region"].Value, match.Groups["service"].Value);
        if (credentialKey != accessKey || scopeRegion != region || scopeService != service)
        {
            return $"credential scope {credentialKey}/{scopeRegion}/{scopeService}, expected {accessKey}/{region}/{service}";
        }

        if (!request.Headers.TryGetValue("x-amz-date", out var amzDate) || !amzDate.StartsWith(date, StringComparison.Ordinal))
        {
            return "X-Amz-Date missing or not on the credential scope's day";
        }

        var signedAt = DateTime.ParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        if (((now ?? DateTime.UtcNow) - signedAt).Duration() > TimeSpan.FromMinutes(5))
        {
            return $"X-Amz-Date {amzDate} is more than 5 minutes off; AWS would refuse it";
        }

        var signedHeaders = match.Groups["signed"].Value.Split(';');
        foreach (var required in new[] { "host", "x-amz-date" }.Concat(request.Body.Length > 0 ? ["content-type"] : []))
        {
            if (!signedHeaders.Contains(required))
            {
                return $"{required} is not among the signed headers";
            }
        }

        var queryStart = request.RawUrl.IndexOf('?', StringComparison.Ordinal);
        var path = queryStart < 0 ? request.RawUrl : request.RawUrl[..queryStart];
        if (queryStart >= 0)
        {
            return "unexpected query string";
        }

        // Every service but S3 signs the path with each (already escaped) segment escaped once more.
        var canonicalUri = string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
        var canonicalHeaders = new StringBuilder();
        foreach (var name in signedHeaders)
        {
            if (!request.Headers.TryGetValue(name, out var value))
            {
                return $"signed header {name} was not sent";
            }

            canonicalHeaders.Append(name).Append(':').Append(value.Trim()).Append('\n');
        }

        var canonicalRequest = string.Join('\n',
            request.Method, canonicalUri, string.Empty, canonicalHeaders.ToString(), string.Join(';', signedHeaders), Hex(SHA256.HashData(request.Body)));
        var scope = $"{date}/{region}/{service}/aws4_request";
        var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";

        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secretKey), date);
        key = Hmac(key, region);
        key = Hmac(key, service);
        key = Hmac(key, "aws4_request");
        var expected = Hex(Hmac(key, stringToSign));
        var actual = match.Groups["signature"].Value;
        return expected == actual ? null : $"signature {actual} does not match the recomputed {expected}";
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    [GeneratedRegex(@"^AWS4-HMAC-SHA256 Credential=(?<key>[^/]+)/(?<date>\d{8})/(?<region>[^/]+)/(?<service>[^/]+)/aws4_request, ?SignedHeaders=(?<signed>[a-z0-9;-]+), ?Signature=(?<signature>[0-9a-f]{64})$")]
    private static partial Regex AuthorizationPattern();
}
