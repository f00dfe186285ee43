using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Microsoft.Extensions.Options;

namespace LiveStream.Infrastructure.Aws;

/// <summary>
/// Where request signing gets its keys: explicit keys from <see cref="AwsOptions"/> (tests, emulators), otherwise
/// the AWS SDK default chain (environment, profile, ECS task role on Fargate, EC2 instance profile).
/// One instance per process: the chain is walked once and the resulting credentials refresh themselves.
/// </summary>
public sealed class AwsCredentialsSource : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly DefaultAWSCredentialsIdentityResolver? _resolver;
    private AWSCredentials? _credentials;

    public AwsCredentialsSource(IOptions<AwsOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        if (settings.HasExplicitCredentials)
        {
            _credentials = string.IsNullOrWhiteSpace(settings.SessionToken)
                ? new BasicAWSCredentials(settings.AccessKey, settings.SecretKey)
                : new SessionAWSCredentials(settings.AccessKey, settings.SecretKey, settings.SessionToken);
        }
        else
        {
            _resolver = new DefaultAWSCredentialsIdentityResolver();
        }
    }

    /// <summary>Uses the given credentials, e.g. assumed-role credentials built by the host.</summary>
    public AwsCredentialsSource(AWSCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        _credentials = credentials;
    }

    /// <summary>The keys to sign the next request with (refreshed by the SDK when they are temporary).</summary>
    public async ValueTask<ImmutableCredentials> GetAsync(CancellationToken cancellationToken)
    {
        var credentials = _credentials ?? await ResolveAsync(cancellationToken).ConfigureAwait(false);
        return await credentials.GetCredentialsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _resolver?.Dispose();
        _gate.Dispose();
    }

    private async Task<AWSCredentials> ResolveAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A failed resolution is not cached: the task role may simply not be reachable yet at startup.
            _credentials ??= await _resolver!.ResolveIdentityAsync(null!, cancellationToken).ConfigureAwait(false);
            return _credentials;
        }
        finally
        {
            _gate.Release();
        }
    }
}
