using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace LiveStream.Host.Auth;

public static class AuthExtensions
{
    public static void AddLiveStreamAuth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>()
            .BindConfiguration(AuthOptions.Section)
            .ValidateDataAnnotations()
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
        bearer.TokenValidationParameters.ClockSkew = TimeSpan.FromSeconds(30);

        if (!string.IsNullOrWhiteSpace(auth.Authority))
        {
            bearer.Authority = auth.Authority;
            bearer.Audience = auth.Audience;
            bearer.RequireHttpsMetadata = auth.RequireHttpsMetadata;
            if (!auth.DevTokens.Enabled)
            {
                return;
            }
        }

        // Dev tokens: a symmetric key this process shares with every other API process through configuration.
        var devKey = DevTokenIssuer.KeyFrom(auth.DevTokens);
        bearer.TokenValidationParameters.ValidIssuers = string.IsNullOrWhiteSpace(auth.Authority)
            ? [auth.DevTokens.Issuer]
            : [auth.DevTokens.Issuer, auth.Authority];
        bearer.TokenValidationParameters.IssuerSigningKeys = [devKey];
        bearer.TokenValidationParameters.ValidAlgorithms = string.IsNullOrWhiteSpace(auth.Authority) ? [SecurityAlgorithms.HmacSha256] : null;
    }
}
