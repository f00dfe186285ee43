using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LiveStream.Host.Auth;

public static class AuthExtensions
{
    public static void AddLiveStreamAuth(this IHostApplicationBuilder builder)
    {
        var development = builder.Environment.IsDevelopment();
        builder.Services.AddOptions<AuthOptions>()
            .BindConfiguration(AuthOptions.Section)
            .ValidateDataAnnotations()
            // Dev tokens let anyone mint a token for any user: never next to a real issuer, never outside Development.
            .Validate(
                options => !options.DevTokens.Enabled || (development && string.IsNullOrWhiteSpace(options.Authority)),
                "Auth:DevTokens:Enabled is refused outside the Development environment and together with Auth:Authority: anyone could mint a token for any user. Turn dev tokens off (and configure Auth:Authority).")
            .ValidateOnStart();

        builder.Services.AddSingleton<DevTokenIssuer>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>, TimeProvider>((bearer, authOptions, clock) =>
            {
                Configure(bearer, authOptions.Value);
                // The same validation as the default handler, remembered per token string (see the handler).
                bearer.TokenHandlers.Clear();
                bearer.TokenHandlers.Add(new CachingJsonWebTokenHandler(clock) { MapInboundClaims = false });
            });

        // After JwtBearer's own post-configuration, which creates the issuer's configuration manager: no "last known
        // good" key set. IdentityModel would otherwise retry a token whose key the issuer withdrew against the key set
        // it had before, for an hour; a withdrawn (possibly leaked) key must stop working once the new set is fetched.
        builder.Services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, bearer =>
        {
            if (bearer.ConfigurationManager is BaseConfigurationManager manager)
            {
                manager.UseLastKnownGoodConfiguration = false;
            }
        });

        // Everything needs a signed-in user unless an endpoint says otherwise (health, dev tokens, docs).
        builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
    }

    private static void Configure(JwtBearerOptions bearer, AuthOptions auth)
    {
        // Keep claim names as issued ("sub", "role") instead of the legacy SOAP URIs.
        bearer.MapInboundClaims = false;
        bearer.TokenValidationParameters.NameClaimType = "sub";
        bearer.TokenValidationParameters.RoleClaimType = auth.RoleClaim;
        bearer.TokenValidationParameters.ValidAudience = auth.Audience;
        bearer.TokenValidationParameters.AudienceValidator = (audiences, token, _) => IsForThisClient(audiences, token, auth.Audience);
        bearer.TokenValidationParameters.ClockSkew = TimeSpan.FromSeconds(30);

        if (!string.IsNullOrWhiteSpace(auth.Authority))
        {
            bearer.Authority = auth.Authority;
            bearer.Audience = auth.Audience;
            bearer.RequireHttpsMetadata = auth.RequireHttpsMetadata;
            bearer.RefreshInterval = auth.KeyRefreshInterval;
            // OIDC issuers (Cognito among them) sign with RSA keys from their JWKS; nothing else is accepted from them.
            bearer.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.RsaSha256];
            return;
        }

        // Dev tokens (Development only, see the start-up check): a symmetric key every local API process shares.
        bearer.TokenValidationParameters.ValidIssuers = [auth.DevTokens.Issuer];
        bearer.TokenValidationParameters.IssuerSigningKeys = [DevTokenIssuer.KeyFrom(auth.DevTokens)];
        bearer.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
    }

    /// <summary>
    /// Whether a token was issued to this app (<paramref name="clientId"/>, <c>Auth:Audience</c>). An ID token names
    /// it in <c>aud</c>; a Cognito access token has no <c>aud</c> and names it in <c>client_id</c> instead.
    /// </summary>
    public static bool IsForThisClient(IEnumerable<string> audiences, SecurityToken token, string clientId)
    {
        var named = audiences.ToList();
        if (named.Count > 0)
        {
            return named.Contains(clientId, StringComparer.Ordinal);
        }

        return token is JsonWebToken jwt
            && jwt.TryGetPayloadValue<string>("client_id", out var client)
            && string.Equals(client, clientId, StringComparison.Ordinal);
    }
}
