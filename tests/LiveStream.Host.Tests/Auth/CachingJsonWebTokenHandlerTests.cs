using System.Text;
using LiveStream.Host.Auth;
using Microsoft.IdentityModel.Tokens;

namespace LiveStream.Host.Tests.Auth;

/// <summary>Remembering validated tokens must not change which tokens are accepted.</summary>
public sealed class CachingJsonWebTokenHandlerTests
{
    private static readonly string SigningKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));

    private static TokenValidationParameters Parameters() => new()
    {
        ValidIssuer = TestTokens.DevIssuer,
        ValidAudience = TestTokens.Audience,
        IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(SigningKey)),
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        ClockSkew = TimeSpan.Zero,
    };

    [Fact]
    public async Task A_token_accepted_before_is_refused_once_it_has_expired()
    {
        // Arrange
        var handler = new CachingJsonWebTokenHandler(TimeProvider.System) { MapInboundClaims = false };
        var token = TestTokens.Create(SigningKey, "viewer-1", "mentee", expires: DateTimeOffset.UtcNow.AddSeconds(1));
        var first = await handler.ValidateTokenAsync(token, Parameters());

        // Act
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var later = await handler.ValidateTokenAsync(token, Parameters());

        // Assert
        Assert.True(first.IsValid);
        Assert.False(later.IsValid);
        Assert.IsType<SecurityTokenExpiredException>(later.Exception);
    }

    [Fact]
    public async Task A_cached_token_gives_every_request_its_own_identity_with_the_same_claims()
    {
        var handler = new CachingJsonWebTokenHandler(TimeProvider.System) { MapInboundClaims = false };
        var token = TestTokens.Create(SigningKey, "viewer-2", "mentee");

        var first = await handler.ValidateTokenAsync(token, Parameters());
        first.ClaimsIdentity.AddClaim(new System.Security.Claims.Claim("added-by", "a transformation"));
        var second = await handler.ValidateTokenAsync(token, Parameters());

        Assert.True(second.IsValid);
        Assert.NotSame(first.ClaimsIdentity, second.ClaimsIdentity);
        Assert.Equal("viewer-2", second.ClaimsIdentity.FindFirst("sub")?.Value);
        Assert.Null(second.ClaimsIdentity.FindFirst("added-by"));
    }

    [Fact]
    public async Task A_token_whose_signature_was_altered_after_it_was_accepted_is_refused()
    {
        var handler = new CachingJsonWebTokenHandler(TimeProvider.System) { MapInboundClaims = false };
        var token = TestTokens.Create(SigningKey, "viewer-3", "mentee");
        var accepted = await handler.ValidateTokenAsync(token, Parameters());

        var tampered = token[..^2] + (token[^2] == 'A' ? "B" : "A") + token[^1];
        var refused = await handler.ValidateTokenAsync(tampered, Parameters());

        Assert.True(accepted.IsValid);
        Assert.False(refused.IsValid);
    }
}
