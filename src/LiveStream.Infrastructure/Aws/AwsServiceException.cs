using System.Net;

namespace LiveStream.Infrastructure.Aws;

/// <summary>
/// An AWS API answered with an error (after any retries), or with a body this client could not read.
/// <see cref="ErrorCode"/> is the AWS error code, e.g. <c>NotFoundException</c>, <c>ConflictException</c>,
/// <c>InvalidParameter</c>, so callers can branch on it without parsing messages.
/// </summary>
public sealed class AwsServiceException : Exception
{
    /// <summary>Error code used when a success response could not be parsed.</summary>
    public const string MalformedResponseCode = "MalformedResponse";

    public AwsServiceException(
        string service,
        string operation,
        HttpStatusCode statusCode,
        string errorCode,
        string? errorMessage,
        string? requestId,
        Exception? innerException = null)
        : base(FormatMessage(service, operation, statusCode, errorCode, errorMessage, requestId), innerException)
    {
        Service = service;
        Operation = operation;
        StatusCode = statusCode;
        ErrorCode = errorCode;
        ErrorMessage = errorMessage;
        RequestId = requestId;
    }

    /// <summary>Signing name of the service, e.g. <c>medialive</c>.</summary>
    public string Service { get; }

    /// <summary>API operation, e.g. <c>CreateChannel</c>.</summary>
    public string Operation { get; }

    public HttpStatusCode StatusCode { get; }

    public string ErrorCode { get; }

    /// <summary>The service's own message, if it sent one.</summary>
    public string? ErrorMessage { get; }

    /// <summary>The AWS request id, which AWS support asks for.</summary>
    public string? RequestId { get; }

    /// <summary>True for "this resource does not exist", whichever way the service spells it.</summary>
    public bool IsNotFound =>
        StatusCode == HttpStatusCode.NotFound
        || ErrorCode is "NotFoundException" or "NotFound" or "ResourceNotFoundException" or "ResourceNotFound";

    /// <summary>True when AWS refused the call for rate reasons (after our retries gave up).</summary>
    public bool IsThrottling => AwsRetryPolicy.IsThrottlingCode(ErrorCode) || StatusCode == HttpStatusCode.TooManyRequests;

    private static string FormatMessage(
        string service, string operation, HttpStatusCode statusCode, string errorCode, string? errorMessage, string? requestId) =>
        $"AWS {service} {operation} failed with {(int)statusCode} {errorCode}"
        + (string.IsNullOrEmpty(errorMessage) ? string.Empty : $": {errorMessage}")
        + (string.IsNullOrEmpty(requestId) ? string.Empty : $" (request id {requestId})");
}
