using System.Net;
using Microsoft.Extensions.Logging;

namespace LiveStream.Infrastructure.Aws;

internal static partial class AwsLog
{
    [LoggerMessage(EventId = 4100, Level = LogLevel.Debug,
        Message = "AWS {Service} {Operation} answered {StatusCode} in {ElapsedMs} ms (attempt {Attempt})")]
    public static partial void Completed(ILogger logger, string service, string operation, int statusCode, long elapsedMs, int attempt);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning,
        Message = "AWS {Service} {Operation} attempt {Attempt} failed with {StatusCode} {ErrorCode} (request {RequestId}); retrying in {DelayMs} ms")]
    public static partial void RetryingError(
        ILogger logger, string service, string operation, int attempt, int statusCode, string errorCode, string? requestId, long delayMs);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning,
        Message = "AWS {Service} {Operation} attempt {Attempt} did not get an answer; retrying in {DelayMs} ms")]
    public static partial void RetryingTransport(ILogger logger, Exception exception, string service, string operation, int attempt, long delayMs);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Debug,
        Message = "AWS {Service} {Operation} failed with {StatusCode} {ErrorCode} (request {RequestId}): {ErrorMessage}")]
    public static partial void Failed(
        ILogger logger, string service, string operation, HttpStatusCode statusCode, string errorCode, string? requestId, string? errorMessage);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning,
        Message = "AWS {Service} {Operation} still failing with {StatusCode} {ErrorCode} after {Attempts} attempts; giving up")]
    public static partial void GaveUp(ILogger logger, string service, string operation, HttpStatusCode statusCode, string errorCode, int attempts);
}
