using LiveStream.Testing;
using static LiveStream.Host.Tests.Media.MotoMedia;

namespace LiveStream.Host.Tests.Media;

/// <summary>
/// What every host test of <c>Media:Provider=aws</c> stands on: the moto emulator, the routing proxy in front of it
/// (the test CDN serving live playlists, and where faults are injected), the recordings bucket with its event queue, and
/// a database of its own. <see cref="HostSettings"/> points a host at all of them.
/// </summary>
internal sealed class AwsEmulator : IAsyncDisposable
{
    private AwsEmulator(MotoServer moto, AwsRoutingProxy proxy, string queueUrl, TestDatabase database)
    {
        Moto = moto;
        Proxy = proxy;
        QueueUrl = queueUrl;
        Database = database;
    }

    public MotoServer Moto { get; }

    public AwsRoutingProxy Proxy { get; }

    /// <summary>The recordings queue (S3 events and MediaLive alerts).</summary>
    public string QueueUrl { get; }

    public TestDatabase Database { get; }

    public static async Task<AwsEmulator> StartAsync()
    {
        var moto = await MotoServer.StartAsync();
        var proxy = new AwsRoutingProxy(moto.ServiceUrl);
        var queueUrl = await CreateBucketWithQueueAsync(moto.ServiceUrl);
        return new AwsEmulator(moto, proxy, queueUrl, await TestDatabase.CreateAsync());
    }

    /// <summary>A host's settings for this emulator, live playback through the proxy; a test adds what it varies.</summary>
    public Dictionary<string, string> HostSettings()
    {
        var settings = AwsSettings(Proxy.ServiceUrl, QueueUrl);
        settings["Media:Aws:LivePlaybackBaseUrl"] = Proxy.ServiceUrl.ToString().TrimEnd('/');
        return settings;
    }

    public HostProcessOptions HostOptions(Dictionary<string, string> settings) =>
        new(Database.ConnectionString, HostProcess.NewSigningKey()) { Settings = settings };

    public async ValueTask DisposeAsync()
    {
        await Database.DisposeAsync();
        await Proxy.DisposeAsync();
        await Moto.DisposeAsync();
    }
}
