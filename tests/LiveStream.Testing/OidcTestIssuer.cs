using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LiveStream.Testing;

/// <summary>
/// An OpenID Connect issuer served by a test, shaped like a Cognito user pool: a discovery document and a JWKS
/// of RS256 keys at <c>{Issuer}/.well-known/…</c>, access tokens without <c>aud</c> (<c>client_id</c>,
/// <c>scope</c>, <c>cognito:groups</c>, <c>token_use=access</c>) and ID tokens with <c>aud</c> = the client id.
/// Keys can be rotated: the JWKS then publishes only the new key. The authorization code flow with PKCE is served the
/// way Cognito's hosted UI serves it to a browser app: <c>/oauth2/authorize</c> signs in the account named by
/// <see cref="SignInAs"/> (where a person would type a password) and redirects back with a code;
/// <c>/oauth2/token</c> exchanges it only with the matching verifier, client and redirect URI. Every answer allows any
/// origin, as Cognito's discovery and token endpoints do for browser clients.
/// </summary>
public sealed class OidcTestIssuer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, PendingCode> _codes = new();
    private (string Kid, RSA Key) _current = NewKey();
    private (string Subject, IReadOnlyList<string> Groups)? _account;

    private OidcTestIssuer(int port)
    {
        Issuer = $"http://127.0.0.1:{port}/ap-southeast-1_TestPool";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>The issuer URL (<c>iss</c>), for <c>Auth:Authority</c>.</summary>
    public string Issuer { get; }

    public string CurrentKeyId
    {
        get
        {
            lock (_gate)
            {
                return _current.Kid;
            }
        }
    }

    public static OidcTestIssuer Start() => new(FreePorts.Next());

    /// <summary>Publishes a new signing key in place of the current one; returns the retired key (and its id).</summary>
    public (string Kid, RSA Key) RotateKeys()
    {
        lock (_gate)
        {
            var retired = _current;
            _current = NewKey();
            return retired;
        }
    }

    /// <summary>The account the authorization endpoint signs in from now on (the person at the hosted UI).</summary>
    public void SignInAs(string subject, IReadOnlyList<string> groups) => _account = (subject, groups);

    /// <summary>How many codes were exchanged for tokens.</summary>
    public int TokensIssued { get; private set; }

    /// <summary>Settings that make a host trust this issuer the way production trusts Cognito (dev tokens off).</summary>
    public Dictionary<string, string> HostSettings(string clientId) => new()
    {
        ["Auth:DevTokens:Enabled"] = "false",
        ["Auth:Authority"] = Issuer,
        ["Auth:Audience"] = clientId,
        ["Auth:RoleClaim"] = "cognito:groups",
        // The issuer is plain HTTP on loopback; production keeps the HTTPS requirement.
        ["Auth:RequireHttpsMetadata"] = "false",
        ["Auth:KeyRefreshInterval"] = "00:00:01",
    };

    /// <summary>A Cognito-shaped access token: no <c>aud</c>; the app client in <c>client_id</c>.</summary>
    public string AccessToken(string subject, string clientId, IReadOnlyList<string> groups, TokenChanges? changes = null) =>
        Sign(new JsonObject
        {
            ["sub"] = subject,
            ["iss"] = changes?.Issuer ?? Issuer,
            ["client_id"] = clientId,
            ["token_use"] = "access",
            ["scope"] = "openid profile",
            ["username"] = subject,
            ["cognito:groups"] = new JsonArray([.. groups.Select(g => JsonValue.Create(g))]),
        }, changes);

    /// <summary>A Cognito-shaped ID token: <c>aud</c> is the app client.</summary>
    public string IdToken(string subject, string clientId, IReadOnlyList<string> groups, TokenChanges? changes = null) =>
        Sign(new JsonObject
        {
            ["sub"] = subject,
            ["iss"] = changes?.Issuer ?? Issuer,
            ["aud"] = clientId,
            ["token_use"] = "id",
            ["cognito:username"] = subject,
            ["cognito:groups"] = new JsonArray([.. groups.Select(g => JsonValue.Create(g))]),
        }, changes);

    /// <summary>An unsigned token (<c>alg: none</c>) with the claims of a valid access token.</summary>
    public string UnsignedAccessToken(string subject, string clientId, IReadOnlyList<string> groups)
    {
        var signed = AccessToken(subject, clientId, groups);
        var payload = signed.Split('.')[1];
        return $"{Base64Url(Encoding.UTF8.GetBytes("""{"alg":"none","typ":"JWT"}"""))}.{payload}.";
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException)
        {
        }

        _listener.Close();
    }

    private string Sign(JsonObject claims, TokenChanges? changes)
    {
        var now = DateTimeOffset.UtcNow;
        var expires = changes?.Expires ?? now.AddHours(1);
        claims["iat"] = (expires - TimeSpan.FromHours(1)).ToUnixTimeSeconds();
        claims["auth_time"] = claims["iat"]!.GetValue<long>();
        claims["exp"] = expires.ToUnixTimeSeconds();
        claims["jti"] = Guid.NewGuid().ToString();
        (string Kid, RSA Key) signer;
        lock (_gate)
        {
            signer = changes?.SigningKey is { } key ? ("unpublished", key) : _current;
        }

        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { kid = changes?.KeyId ?? signer.Kid, alg = "RS256" }));
        var body = Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = signer.Key.SignData(Encoding.ASCII.GetBytes($"{header}.{body}"), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{header}.{body}.{Base64Url(signature)}";
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

            context.Response.Headers["Access-Control-Allow-Origin"] = "*";
            var path = context.Request.Url!.AbsolutePath;
            var prefix = new Uri(Issuer).AbsolutePath;
            if (path == $"{prefix}/oauth2/authorize")
            {
                Authorize(context);
                context.Response.Close();
                continue;
            }

            object? document = path == $"{prefix}/.well-known/openid-configuration"
                ? new Dictionary<string, object>
                {
                    ["issuer"] = Issuer,
                    ["jwks_uri"] = $"{Issuer}/.well-known/jwks.json",
                    ["authorization_endpoint"] = $"{Issuer}/oauth2/authorize",
                    ["token_endpoint"] = $"{Issuer}/oauth2/token",
                    ["response_types_supported"] = new[] { "code", "token" },
                    ["subject_types_supported"] = new[] { "public" },
                    ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
                    ["code_challenge_methods_supported"] = new[] { "S256" },
                }
                : path == $"{prefix}/.well-known/jwks.json" ? Jwks()
                : path == $"{prefix}/oauth2/token" && context.Request.HttpMethod == "POST" ? await ExchangeAsync(context)
                : null;
            if (context.Response.StatusCode == 200)
            {
                context.Response.StatusCode = document is null ? 404 : 200;
            }

            context.Response.ContentType = "application/json";
            if (document is not null)
            {
                await context.Response.OutputStream.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(document));
            }

            context.Response.Close();
        }
    }

    private void Authorize(HttpListenerContext context)
    {
        var query = context.Request.QueryString;
        if (_account is not { } account || query["response_type"] != "code" || query["code_challenge_method"] != "S256"
            || string.IsNullOrEmpty(query["code_challenge"]) || string.IsNullOrEmpty(query["client_id"])
            || !Uri.TryCreate(query["redirect_uri"], UriKind.Absolute, out var redirect))
        {
            context.Response.StatusCode = 400;
            return;
        }

        var code = Guid.NewGuid().ToString("N");
        _codes[code] = new PendingCode(account.Subject, account.Groups, query["client_id"]!, redirect.ToString(), query["code_challenge"]!);
        var back = new UriBuilder(redirect) { Query = $"code={code}&state={Uri.EscapeDataString(query["state"] ?? "")}" };
        context.Response.Redirect(back.Uri.ToString());
    }

    private async Task<object?> ExchangeAsync(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        var form = System.Web.HttpUtility.ParseQueryString(await reader.ReadToEndAsync());
        var verifier = form["code_verifier"] ?? "";
        var challenge = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        if (form["grant_type"] != "authorization_code" || !_codes.TryRemove(form["code"] ?? "", out var pending)
            || pending.ClientId != form["client_id"] || pending.RedirectUri != form["redirect_uri"] || pending.Challenge != challenge)
        {
            context.Response.StatusCode = 400;
            return new { error = "invalid_grant" };
        }

        TokensIssued++;
        return new
        {
            access_token = AccessToken(pending.Subject, pending.ClientId, pending.Groups),
            id_token = IdToken(pending.Subject, pending.ClientId, pending.Groups),
            token_type = "Bearer",
            expires_in = 3600,
        };
    }

    private object Jwks()
    {
        lock (_gate)
        {
            var parameters = _current.Key.ExportParameters(includePrivateParameters: false);
            return new
            {
                keys = new[]
                {
                    new { kty = "RSA", use = "sig", alg = "RS256", kid = _current.Kid, n = Base64Url(parameters.Modulus!), e = Base64Url(parameters.Exponent!) },
                },
            };
        }
    }

    private static (string, RSA) NewKey() => (Guid.NewGuid().ToString("N")[..12], RSA.Create(2048));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

internal sealed record PendingCode(string Subject, IReadOnlyList<string> Groups, string ClientId, string RedirectUri, string Challenge);

/// <summary>What a test changes in an otherwise valid token.</summary>
public sealed record TokenChanges
{
    public string? Issuer { get; init; }

    public DateTimeOffset? Expires { get; init; }

    /// <summary>Sign with this key instead of the published one (a key the issuer never published).</summary>
    public RSA? SigningKey { get; init; }

    /// <summary>The <c>kid</c> the header names (e.g. a retired key's).</summary>
    public string? KeyId { get; init; }
}
