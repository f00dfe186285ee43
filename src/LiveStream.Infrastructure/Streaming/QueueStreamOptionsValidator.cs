using Orleans;
using Orleans.Runtime;

namespace LiveStream.Infrastructure.Streaming;

/// <summary>Startup validation of <see cref="QueueStreamOptions"/> for one provider.</summary>
public sealed class QueueStreamOptionsValidator(QueueStreamOptions options, string providerName) : IConfigurationValidator
{
    public void ValidateConfiguration() => ThrowIfInvalid(options, providerName);

    public static void ThrowIfInvalid(QueueStreamOptions options, string providerName)
    {
        var errors = options.Validate(providerName);
        if (errors.Count > 0)
        {
            throw new OrleansConfigurationException(
                $"Queue stream provider '{providerName}' is misconfigured: {string.Join(" ", errors)}");
        }
    }
}
