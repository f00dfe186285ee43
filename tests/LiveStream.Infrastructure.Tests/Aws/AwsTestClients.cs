using LiveStream.Infrastructure.Aws;
using LiveStream.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LiveStream.Infrastructure.Tests.Aws;

/// <summary>Builds the production clients against a test endpoint, with the emulator's fixed test keys.</summary>
internal sealed class AwsTestClients : IDisposable
{
    private readonly HttpClient _httpClient = new() { Timeout = TimeSpan.FromSeconds(20) };
    private readonly AwsCredentialsSource _credentials;

    public AwsTestClients(Uri serviceUrl, Action<AwsOptions>? configure = null)
    {
        Options = new AwsOptions
        {
            Region = MotoServer.Region,
            ServiceUrl = serviceUrl,
            AccessKey = MotoServer.AccessKey,
            SecretKey = MotoServer.SecretKey,
            MaxErrorRetry = 3,
            // Real backoff shape, test-sized waits.
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            RetryMaxDelay = TimeSpan.FromMilliseconds(100),
        };
        configure?.Invoke(Options);
        var options = Microsoft.Extensions.Options.Options.Create(Options);
        _credentials = new AwsCredentialsSource(options);
        Core = new AwsClientCore(_httpClient, options, _credentials, NullLogger<AwsClientCore>.Instance, TimeProvider.System);
        MediaLive = new MediaLiveClient(Core);
        MediaPackage = new MediaPackageClient(Core);
        Sns = new SnsClient(Core);
    }

    public AwsOptions Options { get; }

    public AwsClientCore Core { get; }

    public MediaLiveClient MediaLive { get; }

    public MediaPackageClient MediaPackage { get; }

    public SnsClient Sns { get; }

    public void Dispose()
    {
        _httpClient.Dispose();
        _credentials.Dispose();
    }
}

/// <summary>One private moto_server per test class.</summary>
public sealed class MotoFixture : IAsyncLifetime
{
    private MotoServer? _server;

    public MotoServer Server => _server ?? throw new InvalidOperationException("The emulator has not started.");

    public async Task InitializeAsync() => _server = await MotoServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
