using System.ComponentModel.DataAnnotations;

namespace LiveStream.Host.Auth;

public sealed class AuthOptions : IValidatableObject
{
    public const string Section = "Auth";

    /// <summary>An OIDC issuer (e.g. a Cognito user pool URL). When set, tokens are validated against its keys.</summary>
    public string? Authority { get; set; }

    [Required]
    public string Audience { get; set; } = "livestream";

    /// <summary>The claim that carries <c>mentor</c> or <c>mentee</c>.</summary>
    [Required]
    public string RoleClaim { get; set; } = "role";

    /// <summary>Require HTTPS metadata from the authority; only a local test issuer turns it off.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>
    /// The least time between two fetches of the issuer's keys when a token names a key not yet known (the issuer
    /// rotated its keys); bounds how often forged <c>kid</c>s can make this process call the issuer.
    /// </summary>
    public TimeSpan KeyRefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    public DevTokenOptions DevTokens { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Authority) && !DevTokens.Enabled)
        {
            yield return new ValidationResult("Configure Auth:Authority (an OIDC issuer) or enable Auth:DevTokens for local use.", [nameof(Authority)]);
        }

        if (DevTokens.Enabled && (DevTokens.SigningKey is null || DevTokens.SigningKey.Length < 32))
        {
            yield return new ValidationResult(
                "Auth:DevTokens:SigningKey must be at least 32 characters when dev tokens are enabled (run.sh generates one into .local/).",
                [nameof(DevTokens)]);
        }

        if (KeyRefreshInterval < TimeSpan.FromSeconds(1) || KeyRefreshInterval > TimeSpan.FromHours(12))
        {
            yield return new ValidationResult("Auth:KeyRefreshInterval must be between 1 second and 12 hours.", [nameof(KeyRefreshInterval)]);
        }

        if (DevTokens.Lifetime <= TimeSpan.Zero || DevTokens.Lifetime > TimeSpan.FromDays(7))
        {
            yield return new ValidationResult("Auth:DevTokens:Lifetime must be between 0 and 7 days.", [nameof(DevTokens)]);
        }
    }
}

public sealed class DevTokenOptions
{
    /// <summary>Locally issued HS256 tokens for development and tests; never on in production.</summary>
    public bool Enabled { get; set; }

    /// <summary>The HS256 secret, from the environment or a secret store; never from code.</summary>
    public string? SigningKey { get; set; }

    public string Issuer { get; set; } = "livestream-dev";

    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(12);
}
