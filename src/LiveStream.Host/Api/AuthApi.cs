using LiveStream.Abstractions;
using LiveStream.Host.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LiveStream.Host.Api;

public static class AuthApi
{
    public static void MapAuthApi(this IEndpointRouteBuilder app)
    {
        // Not mapped at all in production, so the route answers 404 as DESIGN §3 asks.
        if (!app.ServiceProvider.GetRequiredService<IOptions<AuthOptions>>().Value.DevTokens.Enabled)
        {
            return;
        }

        app.MapGroup("/auth").WithTags("Auth").AllowAnonymous()
            .MapPost("/dev-token", IssueDevToken)
            .WithSummary("Issue a local development token (only where dev tokens are enabled)");
    }

    private static Results<Ok<DevTokenResponse>, ValidationProblem> IssueDevToken(DevTokenRequest request, DevTokenIssuer issuer)
    {
        if (!Limits.IsValidId(request.UserId))
        {
            return Validation.Invalid("userId", $"'userId' must match {Limits.IdPattern}.");
        }

        if (!Roles.IsKnown(request.Role))
        {
            return Validation.Invalid("role", $"'role' must be '{Roles.Mentor}' or '{Roles.Mentee}'.");
        }

        var (token, expiresAt) = issuer.Issue(request.UserId!, request.Role!);
        return TypedResults.Ok(new DevTokenResponse(token, expiresAt));
    }
}
