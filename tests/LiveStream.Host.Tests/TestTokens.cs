using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LiveStream.Host.Tests;

/// <summary>Hand-made JWTs for the authentication tests: valid ones, and every way of getting one wrong.</summary>
public static class TestTokens
{
    public const string DevIssuer = "livestream-dev";
    public const string Audience = "livestream";

    private static readonly JsonWebTokenHandler Handler = new();

    /// <summary>An HS256 token as the host's dev issuer makes it, with every part overridable.</summary>
    public static string Create(
        string signingKey,
        string userId,
        string role,
        DateTimeOffset? expires = null,
        string issuer = DevIssuer,
        string audience = Audience)
    {
        var expiresAt = expires ?? DateTimeOffset.UtcNow.AddHours(1);
        var now = DateTimeOffset.UtcNow;
        var issuedAt = expiresAt.AddHours(-1) < now ? expiresAt.AddHours(-1) : now;
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = issuedAt.UtcDateTime,
            NotBefore = issuedAt.UtcDateTime,
            Expires = expiresAt.UtcDateTime,
            Subject = new ClaimsIdentity([new Claim("sub", userId), new Claim("role", role)]),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>The same claims with <c>alg: none</c> and no signature.</summary>
    public static string Unsigned(string userId, string role)
    {
        var header = Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""");
        var now = DateTimeOffset.UtcNow;
        var payload = Base64UrlEncoder.Encode(
            $$"""{"sub":"{{userId}}","role":"{{role}}","iss":"{{DevIssuer}}","aud":"{{Audience}}","iat":{{now.ToUnixTimeSeconds()}},"nbf":{{now.ToUnixTimeSeconds()}},"exp":{{now.AddHours(1).ToUnixTimeSeconds()}}}""");
        return $"{header}.{payload}.";
    }

    /// <summary>
    /// Changes one character in the middle of the signature. The middle, not the end: the last base64url
    /// character of a 32-byte HMAC carries padding bits, so changing it may leave the decoded bytes intact.
    /// </summary>
    public static string WithTamperedSignature(string token)
    {
        var signatureStart = token.LastIndexOf('.') + 1;
        var position = signatureStart + ((token.Length - signatureStart) / 2);
        var replacement = token[position] == 'A' ? 'B' : 'A';
        return string.Concat(token.AsSpan(0, position), replacement.ToString(), token.AsSpan(position + 1));
    }

    /// <summary>Rewrites the payload (e.g. to claim another user) and keeps the original signature.</summary>
    public static string WithAlteredPayload(string token, Func<string, string> alter)
    {
        var parts = token.Split('.');
        var payload = Base64UrlEncoder.Decode(parts[1]);
        var altered = alter(payload);
        Assert.NotEqual(payload, altered);
        parts[1] = Base64UrlEncoder.Encode(altered);
        return string.Join('.', parts);
    }
}
