using System.Text.RegularExpressions;
using LiveStream.Abstractions.Mentees;
using LiveStream.Infrastructure.Aws;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LiveStream.Infrastructure.Notifications;

/// <summary>
/// SNS mobile push: each registered device is an SNS platform endpoint under the platform application of its
/// platform; a push is a direct publish to that endpoint. Endpoints SNS reports as disabled or invalid are
/// deleted so they stop costing a publish per notification.
/// </summary>
public sealed partial class SnsPushProvider(SnsClient sns, IOptions<PushOptions> options, ILogger<SnsPushProvider> logger) : IPushProvider
{
    public string Name => "sns";

    public bool DeliversByRecording => false;

    public async Task<string?> RegisterAsync(
        string menteeId, string deviceId, PushPlatform platform, string token, string? existingHandle, CancellationToken cancellationToken)
    {
        if (existingHandle is not null && await RefreshAsync(existingHandle, token, cancellationToken))
        {
            return existingHandle;
        }

        var application = platform == PushPlatform.Apns ? options.Value.Sns.ApnsApplicationArn! : options.Value.Sns.FcmApplicationArn!;
        try
        {
            var arn = await sns.CreatePlatformEndpointAsync(application, token, $"{menteeId}/{deviceId}", null, cancellationToken);
            LogRegistered(logger, menteeId, deviceId, arn);
            return arn;
        }
        catch (AwsServiceException exception) when (exception.ErrorCode == "InvalidParameter" && ExistingEndpoint().Match(exception.ErrorMessage ?? string.Empty) is { Success: true } match)
        {
            // SNS refuses a second endpoint for the same token with other attributes (e.g. the app was reinstalled
            // under another device id) and names the existing one: take it over.
            var arn = match.Groups["arn"].Value;
            await RefreshAsync(arn, token, cancellationToken);
            LogRegistered(logger, menteeId, deviceId, arn);
            return arn;
        }
    }

    public async Task<(PushOutcome Outcome, string? MessageId)> SendAsync(PushTarget target, PushContent content, CancellationToken cancellationToken)
    {
        if (target.EndpointArn is null)
        {
            // Registered before SNS was configured: there is nothing to publish to until the app registers again.
            return (PushOutcome.Dropped, null);
        }

        try
        {
            var message = new SnsPushMessage(content.Title, content.Body) { Data = content.Data };
            var messageId = await sns.PublishAsync(target.EndpointArn, message, cancellationToken);
            return (PushOutcome.Sent, messageId);
        }
        catch (AwsServiceException exception) when (exception.ErrorCode is "EndpointDisabled" or "InvalidParameter" || exception.IsNotFound)
        {
            // APNs/FCM told SNS the token is dead (or the endpoint is gone): drop the endpoint; the app registers a
            // fresh token when it next starts.
            LogDropped(logger, target.EndpointArn, exception.ErrorCode);
            try
            {
                await sns.DeleteEndpointAsync(target.EndpointArn, cancellationToken);
            }
            catch (AwsServiceException deleteFailure)
            {
                LogDeleteFailed(logger, deleteFailure, target.EndpointArn);
            }

            return (PushOutcome.Dropped, null);
        }
    }

    /// <summary>Brings an existing endpoint up to date; false when it no longer exists.</summary>
    private async Task<bool> RefreshAsync(string endpointArn, string token, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, string> attributes;
        try
        {
            attributes = await sns.GetEndpointAttributesAsync(endpointArn, cancellationToken);
        }
        catch (AwsServiceException exception) when (exception.IsNotFound)
        {
            return false;
        }

        var changes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!attributes.TryGetValue(SnsEndpointAttributes.Token, out var current) || current != token)
        {
            changes[SnsEndpointAttributes.Token] = token;
        }

        // A re-registration proves the app is alive again, so a disabled endpoint is switched back on (AWS's
        // documented token-management practice); an enabled one is left alone.
        if (!attributes.TryGetValue(SnsEndpointAttributes.Enabled, out var enabled) || !string.Equals(enabled, "true", StringComparison.OrdinalIgnoreCase))
        {
            changes[SnsEndpointAttributes.Enabled] = "true";
        }

        if (changes.Count > 0)
        {
            await sns.SetEndpointAttributesAsync(endpointArn, changes, cancellationToken);
        }

        return true;
    }

    [GeneratedRegex(@"Endpoint (?<arn>arn:[^\s]+) already exists")]
    private static partial Regex ExistingEndpoint();

    [LoggerMessage(Level = LogLevel.Information, Message = "Device {DeviceId} of mentee {MenteeId} registered as SNS endpoint {EndpointArn}")]
    private static partial void LogRegistered(ILogger logger, string menteeId, string deviceId, string endpointArn);

    [LoggerMessage(Level = LogLevel.Information, Message = "SNS endpoint {EndpointArn} dropped after {ErrorCode}")]
    private static partial void LogDropped(ILogger logger, string endpointArn, string errorCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting dead SNS endpoint {EndpointArn} failed")]
    private static partial void LogDeleteFailed(ILogger logger, Exception exception, string endpointArn);
}
