using System.Net;
using System.Net.Http.Headers;

namespace LiveStream.Infrastructure.Aws;

/// <summary>Which failures are worth another attempt, and how long to wait before it.</summary>
internal static class AwsRetryPolicy
{
    // Codes AWS documents as transient besides the throttling family; the rest of 4xx is the caller's fault.
    private static readonly HashSet<string> TransientCodes = new(StringComparer.Ordinal)
    {
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "SlowDown",
        "PriorRequestNotComplete",
        "RequestTimeout",
        "RequestTimeoutException",
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
    };

    /// <summary>Throttling, ThrottlingException, Throttled (SNS), KMSThrottlingException, RequestThrottled...</summary>
    public static bool IsThrottlingCode(string errorCode) =>
        errorCode.Contains("Throttl", StringComparison.OrdinalIgnoreCase) || errorCode == "TooManyRequestsException";

    public static bool IsRetryable(HttpStatusCode statusCode, string errorCode) =>
        statusCode == HttpStatusCode.TooManyRequests
        || (int)statusCode >= 500
        || IsThrottlingCode(errorCode)
        || TransientCodes.Contains(errorCode);

    /// <summary>
    /// Exponential backoff with full jitter: concurrent callers that were throttled together spread out
    /// instead of retrying in lockstep. A Retry-After from the service is honoured as a lower bound.
    /// </summary>
    public static TimeSpan Delay(int retry, TimeSpan baseDelay, TimeSpan maxDelay, RetryConditionHeaderValue? retryAfter, DateTimeOffset now)
    {
        var exponent = Math.Min(retry, 30);
        var ceiling = Math.Min(maxDelay.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, exponent));
        var delay = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling);

        var serverHint = retryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - now,
            _ => TimeSpan.Zero,
        };
        if (serverHint > delay)
        {
            delay = serverHint < maxDelay ? serverHint : maxDelay;
        }

        return delay;
    }
}
