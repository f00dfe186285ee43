using Amazon.Runtime;
using Amazon.Runtime.Internal.Auth;

namespace LiveStream.Infrastructure.Aws;

/// <summary>
/// Signs an outgoing request with AWS Signature Version 4 using the AWS SDK's own signer. It derives from
/// <see cref="AWS4Signer"/> only because the SDK keeps its canonicalisation helpers protected.
/// </summary>
internal sealed class AwsRequestSigner : AWS4Signer
{
    private const string DateTimeFormat = "yyyyMMddTHHmmssZ";

    /// <param name="request">The request, with its final URI and content (whose Content-Type gets signed).</param>
    /// <param name="rawPath">The unescaped resource path (including any path of the service URL); the SDK escapes it twice for the canonical request, as SigV4 wants for every service but S3.</param>
    /// <param name="body">The exact bytes sent as body; their SHA-256 is part of the signature.</param>
    public static void Sign(
        HttpRequestMessage request,
        string rawPath,
        ReadOnlySpan<byte> body,
        ImmutableCredentials credentials,
        string region,
        string signingName,
        DateTime signedAtUtc)
    {
        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no URI.");
        var host = uri.IsDefaultPort ? uri.Host : uri.Authority;
        var amzDate = FormatDateTime(signedAtUtc, DateTimeFormat);

        // Lower-case names, ordinal order: the form the canonical request lists them in.
        var signedHeaders = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["host"] = host,
            ["x-amz-date"] = amzDate,
        };
        if (credentials.UseToken)
        {
            signedHeaders["x-amz-security-token"] = credentials.Token;
        }

        var contentType = request.Content?.Headers.ContentType?.ToString();
        if (contentType is not null)
        {
            signedHeaders["content-type"] = contentType;
        }

        var bodyHash = Convert.ToHexStringLower(ComputeHash(body.ToArray()));
        var endpoint = new Uri(uri.GetLeftPart(UriPartial.Authority));
        var canonicalRequest = CanonicalizeRequest(
            endpoint, rawPath, request.Method.Method, signedHeaders, canonicalQueryString: string.Empty, bodyHash, pathResources: null, doubleEncode: true);
        var signature = ComputeSignature(
            credentials, region, signedAtUtc, signingName, CanonicalizeHeaderNames(signedHeaders), canonicalRequest);

        request.Headers.Host = host;
        request.Headers.TryAddWithoutValidation("X-Amz-Date", amzDate);
        if (credentials.UseToken)
        {
            request.Headers.TryAddWithoutValidation("X-Amz-Security-Token", credentials.Token);
        }

        request.Headers.TryAddWithoutValidation("Authorization", signature.ForAuthorizationHeader);
    }
}
