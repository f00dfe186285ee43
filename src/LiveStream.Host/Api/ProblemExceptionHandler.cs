using System.Text.Json;
using System.Text.RegularExpressions;
using LiveStream.Abstractions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Orleans.Runtime;

namespace LiveStream.Host.Api;

/// <summary>
/// Turns what a client got wrong into problem+json with the offending field named, and everything else
/// into a logged 500 that leaks nothing.
/// </summary>
internal sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            DomainException domain => FromDomain(domain),
            BadHttpRequestException badRequest => FromBadRequest(badRequest),
            DatabaseUnavailableException database => Unavailable(httpContext, exception, database.RetryAfterSeconds),
            SiloUnavailableException or OrleansMessageRejectionException or TimeoutException => Unavailable(httpContext, exception),
            // A state write that timed out may still have committed, leaving the grain's ETag stale; Orleans then
            // deactivates the grain, and the next call reloads the state and succeeds. The client did nothing wrong
            // and has nothing to resolve (409 would say it has), so it is a retry-shortly, like an outage.
            Orleans.Storage.InconsistentStateException => Unavailable(httpContext, exception),
            // In-process database use (none today; every store runs inside a silo, whose filter converts these).
            _ when Infrastructure.Postgres.DatabaseCircuit.IsUnavailability(exception) => Unavailable(httpContext, exception),
            _ => null,
        };

        if (problem is null)
        {
            logger.LogError(exception, "Unhandled error serving {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
            return false;
        }

        httpContext.Response.StatusCode = problem.Status ?? StatusCodes.Status400BadRequest;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    /// <summary>
    /// The cluster is changing under us (a silo died or is draining) or the database is down, failing over or
    /// hung: not the client's fault and not a bug, and nothing was done, so 503 with a short Retry-After lets
    /// clients retry instead of reporting a failure. Logged without the stack: an outage produces thousands.
    /// </summary>
    private ProblemDetails Unavailable(HttpContext httpContext, Exception exception, int retryAfterSeconds = 1)
    {
        logger.LogWarning("Unavailable serving {Method} {Path}: {Error} {Message}", httpContext.Request.Method, httpContext.Request.Path, exception.GetType().Name, exception.Message);
        httpContext.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "Service temporarily unavailable",
            Detail = "The request could not be completed right now; retry shortly.",
        };
    }

    private static ProblemDetails FromDomain(DomainException exception) => exception.Kind switch
    {
        DomainErrorKind.NotFound => Problem(StatusCodes.Status404NotFound, "Not found", exception.Message, exception.Field),
        DomainErrorKind.Conflict => Problem(StatusCodes.Status409Conflict, "Conflict", exception.Message, exception.Field),
        DomainErrorKind.Forbidden => Problem(StatusCodes.Status403Forbidden, "Forbidden", exception.Message, exception.Field),
        DomainErrorKind.IdempotencyKeyReused => Problem(StatusCodes.Status422UnprocessableEntity, "Idempotency key reused", exception.Message, exception.Field),
        _ => Problem(StatusCodes.Status400BadRequest, "Invalid input", exception.Message, exception.Field),
    };

    private static ProblemDetails FromBadRequest(BadHttpRequestException exception)
    {
        if (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "Request body too large", $"The body exceeds {Limits.MaxRequestBodyBytes} bytes.", "body");
        }

        if (exception.InnerException is JsonException json)
        {
            // A syntax error comes from the reader (an inner JsonException); anything else is a well-formed
            // value of the wrong type or format for the member at json.Path.
            var field = json.InnerException is JsonException ? "body" : FieldFromJsonPath(json.Path);
            var detail = field == "body" ? "The body is not valid JSON." : $"'{field}' has the wrong type or format.";
            return Problem(StatusCodes.Status400BadRequest, "Invalid input", detail, field);
        }

        // An empty or null body is reported against the body, not the handler's internal parameter name.
        if (MissingBody().IsMatch(exception.Message))
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid input", "A JSON body is required.", "body");
        }

        if (BindFailure().Match(exception.Message) is { Success: true } match)
        {
            var field = match.Groups["name"].Value;
            return Problem(StatusCodes.Status400BadRequest, "Invalid input", $"'{field}' has the wrong type or format.", field);
        }

        // Missing body, wrong content type and the like.
        var status = exception.StatusCode is >= 400 and < 500 ? exception.StatusCode : StatusCodes.Status400BadRequest;
        return Problem(status, "Invalid request", exception.Message, "body");
    }

    internal static ProblemDetails Problem(int status, string title, string detail, string? field)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        if (field is not null)
        {
            problem.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [detail] };
        }

        return problem;
    }

    /// <summary><c>$.title</c> → <c>title</c>, <c>$.mentor.bio</c> → <c>mentor.bio</c>, <c>$</c> → <c>body</c>.</summary>
    private static string FieldFromJsonPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "body";
        }

        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        return field.Length == 0 ? "body" : field;
    }

    [GeneratedRegex("parameter \"(?:[^\"]+ )?(?<name>[A-Za-z0-9_]+)\"")]
    private static partial Regex BindFailure();

    /// <summary>
    /// Minimal APIs' messages for a body parameter without a body: "Implicit body inferred for parameter … but no
    /// body was provided" (empty) and "Required parameter … was not provided from body" (JSON <c>null</c>).
    /// </summary>
    [GeneratedRegex("no body was provided|was not provided from body")]
    private static partial Regex MissingBody();
}
