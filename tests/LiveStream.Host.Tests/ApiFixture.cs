using LiveStream.Testing;

namespace LiveStream.Host.Tests;

/// <summary>
/// One real LiveStream process (role <c>all</c>) on a fresh database, shared by the API tests of a
/// collection. Tests stay independent by using fresh ids (<see cref="Ids"/>).
/// </summary>
public sealed class ApiFixture : IAsyncLifetime
{
    private TestDatabase? _database;
    private HostProcess? _host;

    public TestDatabase Database => _database ?? throw new InvalidOperationException("Fixture not started.");

    public HostProcess Host => _host ?? throw new InvalidOperationException("Fixture not started.");

    /// <summary>The ingest server's callback secret, so tests can take sessions live (<see cref="ApiClientExtensions.ScheduleLiveSessionAsync"/>).</summary>
    public const string CallbackSecret = "api-tests-media-callback-secret-0123456789";

    public string SigningKey { get; } = HostProcess.NewSigningKey();

    /// <summary>The key of signed media URLs, so tests can sign one (<see cref="RouteWorld"/>).</summary>
    public const string PlaybackSigningKey = "api-tests-playback-signing-key-0123456789";

    /// <summary>The one web app origin (served elsewhere) this host's API allows.</summary>
    public const string AllowedOrigin = "https://app.example.test";

    public ApiClient CreateClient() => new(Host.CreateClient());

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        _host = await HostProcess.StartAsync(new HostProcessOptions(_database.ConnectionString, SigningKey)
        {
            // The API description routes are mapped too, so the authorization matrix covers them. The hostile-input
            // corpus sends scores of schedule attempts as one mentor: the scheduling limit is tested on ReactionFixture.
            Settings = new Dictionary<string, string>
            {
                ["Media:Local:CallbackSecret"] = CallbackSecret,
                ["Api:EnableDocs"] = "true",
                ["RateLimits:ScheduleBurst"] = "1000",
                ["RateLimits:MaxUpcomingSessions"] = "100000",
                ["Cors:AllowedOrigins:0"] = AllowedOrigin,
                ["Media:Playback:SigningKey"] = PlaybackSigningKey,
            },
        });
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}

public static class Ids
{
    public static string New(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(64, prefix.Length + 33)];
}
