using System.Security.Claims;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LiveStream.Host.Auth;

/// <summary>Issues the HS256 tokens of the local mode; production tokens come from the OIDC issuer.</summary>
public sealed class DevTokenIssuer(IOptions<AuthOptions> options, TimeProvider clock)
{
    private readonly JsonWebTokenHandler _handler = new();

    public static SymmetricSecurityKey KeyFrom(DevTokenOptions options) =>
        new(Encoding.UTF8.GetBytes(options.SigningKey ?? throw new InvalidOperationException("Dev token signing key missing.")));

    public (string Token, DateTimeOffset ExpiresAt) Issue(string userId, string role)
    {
        var auth = options.Value;
        var now = clock.GetUtcNow();
        var expires = now + auth.DevTokens.Lifetime;
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = auth.DevTokens.Issuer,
            Audience = auth.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            Subject = new ClaimsIdentity([new Claim("sub", userId), new Claim(auth.RoleClaim, role)]),
            SigningCredentials = new SigningCredentials(KeyFrom(auth.DevTokens), SecurityAlgorithms.HmacSha256),
        });
        return (token, expires);
    }
}
