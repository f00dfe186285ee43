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
        // Arrange: one clock for the cache and for the lifetime check, so the test neither sleeps nor races the box.
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var parameters = Parameters();
        parameters.LifetimeValidator = (notBefore, expires, _, _) => clock.GetUtcNow().UtcDateTime < expires;
        var handler = new CachingJsonWebTokenHandler(clock) { MapInboundClaims = false };
        var token = TestTokens.Create(SigningKey, "viewer-1", "mentee", expires: clock.GetUtcNow().AddMinutes(2));
        var first = await handler.ValidateTokenAsync(token, parameters);

        // Act: past the token's expiry, still well within the cache's own five-minute bound.
        clock.Now = clock.Now.AddMinutes(2).AddSeconds(1);
        var later = await handler.ValidateTokenAsync(token, parameters);

        // Assert
        Assert.True(first.IsValid, first.Exception?.Message);
        Assert.False(later.IsValid);
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

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
