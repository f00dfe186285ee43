using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LiveStream.Host.Auth;

/// <summary>
/// JWT validation with the result remembered per token string. A viewer sends the same bearer token with every
/// request, and parsing it and checking its signature again each time was about an eighth of a session detail
/// read's CPU. The same string carries the same signature, so the cached answer is the one validation would give,
/// with two bounds: an entry lives no longer than the token's own expiry (plus the configured clock skew, exactly
/// what the lifetime check allows), and no longer than <see cref="MaxEntryLifetime"/>, so a signing key withdrawn
/// from the issuer's key set stops being honoured within minutes. Only successful validations are cached; a token
/// that failed is validated again next time.
/// </summary>
public sealed class CachingJsonWebTokenHandler(TimeProvider clock) : JsonWebTokenHandler
{
    public static readonly TimeSpan MaxEntryLifetime = TimeSpan.FromMinutes(5);

    /// <summary>Caps memory: valid tokens only come from the issuer, but a million viewers are a million tokens.</summary>
    public const int MaxEntries = 50_000;

    private readonly ConcurrentDictionary<string, Entry> _validated = new(StringComparer.Ordinal);

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var now = clock.GetUtcNow();
        if (_validated.TryGetValue(token, out var entry))
        {
            if (now < entry.Until)
            {
                // Each request gets its own identity: claims transformations may add to it.
                return new TokenValidationResult
                {
                    IsValid = true,
                    SecurityToken = entry.Result.SecurityToken,
                    ClaimsIdentity = entry.Identity.Clone(),
                    Issuer = entry.Result.Issuer,
                    TokenType = entry.Result.TokenType,
                };
            }

            _validated.TryRemove(token, out _);
        }

        var result = await base.ValidateTokenAsync(token, validationParameters);
        if (result.IsValid && result.SecurityToken is { ValidTo: var validTo } && validTo != DateTime.MinValue)
        {
            var expires = new DateTimeOffset(DateTime.SpecifyKind(validTo, DateTimeKind.Utc)) + validationParameters.ClockSkew;
            var until = expires < now + MaxEntryLifetime ? expires : now + MaxEntryLifetime;
            if (_validated.Count >= MaxEntries)
            {
                Evict(now);
            }

            _validated[token] = new Entry(result, result.ClaimsIdentity.Clone(), until);
        }

        return result;
    }

    private void Evict(DateTimeOffset now)
    {
        foreach (var (token, entry) in _validated)
        {
            if (now >= entry.Until)
            {
                _validated.TryRemove(token, out _);
            }
        }

        // Still full of live tokens: start over rather than track recency on the hot path.
        if (_validated.Count >= MaxEntries)
        {
            _validated.Clear();
        }
    }

    private sealed record Entry(TokenValidationResult Result, ClaimsIdentity Identity, DateTimeOffset Until);
}
