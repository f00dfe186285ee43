using LiveStream.Abstractions;
using LiveStream.Host.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LiveStream.Host.Api;

public static class AuthApi
{
    public static void MapAuthApi(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/auth").WithTags("Auth").AllowAnonymous();

        // DESIGN §3: where dev tokens are off (production) the route answers 404. Leaving it unmapped is not
        // enough: the fallback authorization policy would answer an anonymous caller 401 for an unknown route.
        if (!app.ServiceProvider.GetRequiredService<IOptions<AuthOptions>>().Value.DevTokens.Enabled)
        {
            auth.MapPost("/dev-token", () => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound)).ExcludeFromDescription();
            return;
        }

        auth.MapPost("/dev-token", IssueDevToken)
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
