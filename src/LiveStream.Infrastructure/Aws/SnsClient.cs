using System.Globalization;
using System.Xml.Linq;

namespace LiveStream.Infrastructure.Aws;

/// <summary>Names of the SNS platform endpoint attributes LiveStream reads and writes.</summary>
public static class SnsEndpointAttributes
{
    /// <summary>"true"/"false"; SNS sets it to false when APNs/FCM reports the token as dead.</summary>
    public const string Enabled = "Enabled";

    /// <summary>The device token.</summary>
    public const string Token = "Token";

    public const string CustomUserData = "CustomUserData";
}

/// <summary>
/// The Amazon SNS mobile push calls LiveStream makes (query API, version 2010-03-31): a platform endpoint per
/// registered device, and direct publishes to it.
/// </summary>
public sealed class SnsClient(AwsClientCore core)
{
    public const string ApiVersion = "2010-03-31";

    private static readonly AwsService Service = AwsService.Sns;

    /// <summary>
    /// Registers a device token under a platform application (APNS, APNS_SANDBOX or GCM) and returns the endpoint ARN.
    /// SNS answers with the existing ARN when the same token was registered with the same attributes.
    /// </summary>
    public async Task<string> CreatePlatformEndpointAsync(
        string platformApplicationArn,
        string token,
        string? customUserData,
        IReadOnlyDictionary<string, string>? attributes,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(platformApplicationArn);
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        var parameters = new List<KeyValuePair<string, string>>
        {
            new("PlatformApplicationArn", platformApplicationArn),
            new("Token", token),
        };
        if (customUserData is not null)
        {
            parameters.Add(new("CustomUserData", customUserData));
        }

        AddAttributes(parameters, attributes);
        var result = await core.SendQueryAsync(Service, "CreatePlatformEndpoint", ApiVersion, parameters, cancellationToken).ConfigureAwait(false);
        return RequiredChild(result, "EndpointArn", "CreatePlatformEndpoint");
    }

    /// <summary>Updates endpoint attributes, e.g. a refreshed <see cref="SnsEndpointAttributes.Token"/> or Enabled=true.</summary>
    public Task SetEndpointAttributesAsync(string endpointArn, IReadOnlyDictionary<string, string> attributes, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpointArn);
        ArgumentNullException.ThrowIfNull(attributes);
        var parameters = new List<KeyValuePair<string, string>> { new("EndpointArn", endpointArn) };
        AddAttributes(parameters, attributes);
        return core.SendQueryAsync(Service, "SetEndpointAttributes", ApiVersion, parameters, cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, string>> GetEndpointAttributesAsync(string endpointArn, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpointArn);
        var result = await core.SendQueryAsync(
            Service, "GetEndpointAttributes", ApiVersion, [new("EndpointArn", endpointArn)], cancellationToken).ConfigureAwait(false);

        // <Attributes><entry><key>Enabled</key><value>true</value></entry>...</Attributes>
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        var container = result.Elements().FirstOrDefault(e => e.Name.LocalName == "Attributes");
        foreach (var entry in container?.Elements().Where(e => e.Name.LocalName == "entry") ?? [])
        {
            var key = Child(entry, "key");
            if (key is not null)
            {
                attributes[key] = Child(entry, "value") ?? string.Empty;
            }
        }

        return attributes;
    }

    /// <summary>Deletes the endpoint; deleting one that is already gone succeeds.</summary>
    public Task DeleteEndpointAsync(string endpointArn, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpointArn);
        return core.SendQueryAsync(Service, "DeleteEndpoint", ApiVersion, [new("EndpointArn", endpointArn)], cancellationToken);
    }

    /// <summary>Publishes one message as is to an endpoint (or topic) ARN and returns the SNS message id.</summary>
    public Task<string> PublishAsync(string targetArn, string message, CancellationToken cancellationToken) =>
        PublishCoreAsync(targetArn, message, messageStructure: null, cancellationToken);

    /// <summary>
    /// Publishes a push notification with one payload per platform (MessageStructure=json), so the same call
    /// reaches APNs and FCM devices.
    /// </summary>
    public Task<string> PublishAsync(string targetArn, SnsPushMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return PublishCoreAsync(targetArn, message.ToMessageJson(), "json", cancellationToken);
    }

    private async Task<string> PublishCoreAsync(string targetArn, string message, string? messageStructure, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(targetArn);
        ArgumentException.ThrowIfNullOrEmpty(message);
        var parameters = new List<KeyValuePair<string, string>>
        {
            new("TargetArn", targetArn),
            new("Message", message),
        };
        if (messageStructure is not null)
        {
            parameters.Add(new("MessageStructure", messageStructure));
        }

        var result = await core.SendQueryAsync(Service, "Publish", ApiVersion, parameters, cancellationToken).ConfigureAwait(false);
        return RequiredChild(result, "MessageId", "Publish");
    }

    // The query protocol flattens a map as Attributes.entry.N.key / Attributes.entry.N.value, N counting from 1.
    private static void AddAttributes(List<KeyValuePair<string, string>> parameters, IReadOnlyDictionary<string, string>? attributes)
    {
        if (attributes is null)
        {
            return;
        }

        var index = 1;
        foreach (var (key, value) in attributes.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            var prefix = string.Create(CultureInfo.InvariantCulture, $"Attributes.entry.{index}");
            parameters.Add(new($"{prefix}.key", key));
            parameters.Add(new($"{prefix}.value", value));
            index++;
        }
    }

    private static string? Child(XElement element, string localName) =>
        element.Elements().FirstOrDefault(e => e.Name.LocalName == localName)?.Value;

    private static string RequiredChild(XElement result, string localName, string operation) =>
        Child(result, localName) is { Length: > 0 } value
            ? value
            : throw new AwsServiceException(
                Service.SigningName, operation, System.Net.HttpStatusCode.OK, AwsServiceException.MalformedResponseCode,
                $"The answer has no {localName}.", requestId: null);
}
