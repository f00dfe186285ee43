using System.Net;
using System.Text.Json;

namespace LiveStream.Host.Hosting;

/// <summary>
/// On Fargate a silo must advertise its task's private IP (awsvpc mode gives each task its own ENI); the
/// ECS agent publishes it at the container metadata endpoint v4, whose URL it puts in the environment.
/// </summary>
public static class EcsTaskMetadata
{
    public const string EndpointVariable = "ECS_CONTAINER_METADATA_URI_V4";

    /// <summary>The task's first private IPv4 address, or null when not running on ECS.</summary>
    public static async Task<IPAddress?> GetTaskAddressAsync(string? metadataUri, HttpClient http, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(metadataUri))
        {
            return null;
        }

        // The container document lists this container's networks; in awsvpc mode that is the task's ENI.
        await using var stream = await http.GetStreamAsync(new Uri(metadataUri), cancellationToken);
        using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
        if (document.RootElement.TryGetProperty("Networks", out var networks))
        {
            foreach (var network in networks.EnumerateArray())
            {
                if (network.TryGetProperty("IPv4Addresses", out var addresses))
                {
                    foreach (var address in addresses.EnumerateArray())
                    {
                        if (IPAddress.TryParse(address.GetString(), out var parsed))
                        {
                            return parsed;
                        }
                    }
                }
            }
        }

        throw new InvalidOperationException($"The ECS metadata at {metadataUri} lists no IPv4 address for this container.");
    }
}
