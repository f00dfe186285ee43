using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace LiveStream.Infrastructure.Media;

/// <summary>
/// Turns the plain media URL a session stores into one that plays until <c>expiresAt</c>, covering everything a
/// player fetches relative to it (an HLS playlist's segments and child playlists). The only place URLs are signed.
/// </summary>
public interface IPlaybackUrlSigner
{
    string Sign(string url, DateTimeOffset expiresAt);
}

/// <summary>
/// Local pipeline: an HMAC token goes into the path, <c>/media/{token}/{liveId}/...</c>, so segment URLs that a
/// player resolves against the playlist URL carry it too, with no playlist rewriting.
/// </summary>
public sealed class LocalPlaybackUrlSigner(MediaTokens tokens) : IPlaybackUrlSigner
{
    public string Sign(string url, DateTimeOffset expiresAt)
    {
        var uri = new Uri(url, UriKind.Absolute);
        var segments = uri.AbsolutePath.Split('/', 4);
        if (segments is not ["", MediaPaths.Root, var liveId, _])
        {
            throw new ArgumentException($"Not a local media URL: '{url}'.", nameof(url));
        }

        var path = $"/{MediaPaths.Root}/{tokens.Create(liveId, expiresAt)}/{liveId}/{segments[3]}";
        return new UriBuilder(uri) { Path = path }.Uri.ToString();
    }
}

/// <summary>
/// HMAC-SHA256 tokens binding a session id to an expiry: <c>{unix seconds}.{base64url mac}</c>. Every process that
/// serves media must share the key (<see cref="PlaybackOptions.SigningKey"/>).
/// </summary>
public sealed class MediaTokens
{
    private readonly byte[] _key;
    private readonly TimeProvider _clock;

    public MediaTokens(IOptions<PlaybackOptions> options, TimeProvider clock)
    {
        var configured = options.Value.SigningKey;
        _key = configured.Length > 0 ? Encoding.UTF8.GetBytes(configured) : RandomNumberGenerator.GetBytes(32);
        _clock = clock;
    }

    public string Create(string liveId, DateTimeOffset expiresAt)
    {
        var expires = expiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"{expires}.{Mac(liveId, expires)}";
    }

    /// <summary>False for a token that is malformed, altered, for another session or expired.</summary>
    public bool IsValid(string token, string liveId)
    {
        var separator = token.IndexOf('.', StringComparison.Ordinal);
        if (separator <= 0 || !long.TryParse(token.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture, out var expires))
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Mac(liveId, token[..separator]));
        var given = Encoding.ASCII.GetBytes(token[(separator + 1)..]);
        return CryptographicOperations.FixedTimeEquals(expected, given) && _clock.GetUtcNow().ToUnixTimeSeconds() < expires;
    }

    private string Mac(string liveId, string expires) =>
        Base64Url.EncodeToString(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{liveId}\n{expires}")));
}

/// <summary>
/// AWS: CloudFront signed URLs with a custom policy (RSA-SHA1, the key in the distribution's trusted key group) whose
/// resource is the URL's directory plus <c>*</c>, so the playlist's segments and renditions are covered. A player
/// must send the same query string with those requests (hls.js: an <c>xhrSetup</c> that appends it).
/// </summary>
public sealed class CloudFrontPlaybackUrlSigner : IPlaybackUrlSigner, IDisposable
{
    private readonly RSA _key;
    private readonly string _keyId;

    public CloudFrontPlaybackUrlSigner(IOptions<PlaybackOptions> options)
    {
        _key = RSA.Create();
        _key.ImportFromPem(options.Value.CloudFrontPrivateKey);
        _keyId = options.Value.CloudFrontKeyId;
    }

    public string Sign(string url, DateTimeOffset expiresAt)
    {
        var uri = new Uri(url, UriKind.Absolute);
        var directory = uri.GetLeftPart(UriPartial.Path);
        var resource = directory[..(directory.LastIndexOf('/') + 1)] + "*";
        var policy = Policy(resource, expiresAt.ToUnixTimeSeconds());
        var signature = _key.SignData(Encoding.UTF8.GetBytes(policy), HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);
        var query = $"Policy={QuerySafe(Encoding.UTF8.GetBytes(policy))}&Signature={QuerySafe(signature)}&Key-Pair-Id={_keyId}";
        return uri.Query.Length > 1 ? $"{url}&{query}" : $"{url}?{query}";
    }

    /// <summary>The policy document exactly as CloudFront hashes it: no white space.</summary>
    public static string Policy(string resource, long expiresEpochSeconds) =>
        "{\"Statement\":[{\"Resource\":\"" + resource + "\",\"Condition\":{\"DateLessThan\":{\"AWS:EpochTime\":"
        + expiresEpochSeconds.ToString(CultureInfo.InvariantCulture) + "}}}]}";

    /// <summary>CloudFront's base64 variant: '+' '=' '/' become '-' '_' '~'.</summary>
    public static string QuerySafe(byte[] bytes) => Convert.ToBase64String(bytes).Replace('+', '-').Replace('=', '_').Replace('/', '~');

    public void Dispose() => _key.Dispose();
}
