using LiveStream.Abstractions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveStream.Host.Api;

/// <summary>Front-end checks that need the HTTP shape (route ids, paging); the grains check the rest.</summary>
internal static class Validation
{
    public static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, detail: message, title: "Invalid input");

    /// <summary>Endpoint filter: every route value whose name ends in "Id" must be a valid id, else 400 naming it.</summary>
    public static ValueTask<object?> RouteIdsAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        foreach (var (name, value) in context.HttpContext.Request.RouteValues)
        {
            if (name.EndsWith("Id", StringComparison.Ordinal) && !Limits.IsValidId(value as string))
            {
                return ValueTask.FromResult<object?>(Invalid(name, $"'{name}' must match {Limits.IdPattern}."));
            }
        }

        return next(context);
    }

    public static ValidationProblem? Paging(string? after, int? limit)
    {
        if (limit is < 1 or > Limits.MaxPageSize)
        {
            return Invalid("limit", $"'limit' must be between 1 and {Limits.MaxPageSize}.");
        }

        // A cursor is an id or a number the API handed out: nothing a database or a log line would choke on.
        if (after is not null && (after.Length > 200 || after.Any(c => char.IsControl(c) || char.IsSurrogate(c))))
        {
            return Invalid("after", "'after' is not a valid cursor.");
        }

        return null;
    }

    public static ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");

    public static ProblemHttpResult NotFound(string field, string detail) =>
        TypedResults.Problem(ProblemExceptionHandler.Problem(StatusCodes.Status404NotFound, "Not found", detail, field));
}
