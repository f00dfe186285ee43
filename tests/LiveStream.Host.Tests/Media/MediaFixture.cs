using System.Globalization;
using LiveStream.Testing;

namespace LiveStream.Host.Tests.Media;

/// <summary>
/// One LiveStream process (role <c>all</c>) wired to its own real nginx RTMP ingest, with a short reconnect window
/// so the timeout paths run in seconds.
/// </summary>
public sealed class MediaFixture : IAsyncLifetime
{
    public static readonly TimeSpan ReconnectGrace = TimeSpan.FromSeconds(6);

    /// <summary>The media token key of every host this fixture starts, so a test can mint an expired token.</summary>
    public static readonly string PlaybackSigningKey = HostProcess.NewSigningKey();

    private TestDatabase? _database;
    private HostProcess? _host;
    private NginxRtmp? _nginx;

    public HostProcess Host => _host ?? throw new InvalidOperationException("Fixture not started.");

    public NginxRtmp Nginx => _nginx ?? throw new InvalidOperationException("Fixture not started.");

    public string CallbackSecret { get; } = Guid.NewGuid().ToString("N");

    public ApiClient CreateClient() => new(Host.CreateClient());

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        var httpPort = FreePorts.Next();
        _nginx = await NginxRtmp.StartAsync($"http://127.0.0.1:{httpPort}/internal/media/{CallbackSecret}");
        _host = await HostProcess.StartAsync(HostOptions(_database, _nginx, httpPort, CallbackSecret));
    }

    /// <summary>A host wired to <paramref name="nginx"/>, whose callbacks reach it on <paramref name="httpPort"/>.</summary>
    public static HostProcessOptions HostOptions(TestDatabase database, NginxRtmp nginx, int httpPort, string secret) =>
        new(database.ConnectionString, HostProcess.NewSigningKey())
        {
            HttpPort = httpPort,
            Settings = new Dictionary<string, string>(nginx.HostSettings(httpPort, secret))
            {
                ["Media:ReconnectGrace"] = ReconnectGrace.ToString("c", CultureInfo.InvariantCulture),
                ["Media:Playback:SigningKey"] = PlaybackSigningKey,
            },
        };

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_nginx is not null)
        {
            await _nginx.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class MediaCollection : ICollectionFixture<MediaFixture>
{
    public const string Name = "media";
}
