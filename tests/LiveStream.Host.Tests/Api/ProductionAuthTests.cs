using System.Net;
using LiveStream.Testing;

namespace LiveStream.Host.Tests.Api;

/// <summary>
/// One process configured as in production: dev tokens off, tokens from an OIDC authority. The authority
/// is an unresolvable https URL; nothing here needs its keys, and the host must start without reaching it.
/// </summary>
public sealed class ProductionHostFixture : IAsyncLifetime
{
    private TestDatabase? _database;
    private HostProcess? _host;

    /// <summary>The process still gets a dev signing key (HostProcess always passes one), which it must ignore.</summary>
    public string SigningKey { get; } = HostProcess.NewSigningKey();

    public ApiClient CreateClient() => new((_host ?? throw new InvalidOperationException("Fixture not started.")).CreateClient());

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        _host = await HostProcess.StartAsync(new HostProcessOptions(_database.ConnectionString, SigningKey)
        {
            Environment = "Production",
            Settings = new Dictionary<string, string>
            {
                ["Auth:DevTokens:Enabled"] = "false",
                ["Auth:Authority"] = "https://issuer.example",
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

public sealed class ProductionAuthTests(ProductionHostFixture fixture) : IClassFixture<ProductionHostFixture>
{
    [Fact]
    public async Task Dev_tokens_are_not_issued_in_production()
    {
        // Arrange
        using var api = fixture.CreateClient();

        // Act
        using var response = await api.SendAsync(HttpMethod.Post, "/auth/dev-token", new { userId = "someone", role = "mentor" });

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Health_endpoints_answer_200_in_production(string path)
    {
        // Arrange
        using var api = fixture.CreateClient();

        // Act
        using var response = await api.SendAsync(HttpMethod.Get, path);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", (await ApiClient.JsonAsync(response)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Protected_endpoints_answer_401_without_a_token_in_production()
    {
        // Arrange
        using var api = fixture.CreateClient();

        // Act
        using var response = await api.SendAsync(HttpMethod.Put, $"/mentor/{Ids.New("mentor")}", new { displayName = "Ada" });

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_token_signed_with_the_dev_key_is_not_accepted_in_production()
    {
        // Arrange: a well-formed dev token with the very key the process was given.
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var token = TestTokens.Create(fixture.SigningKey, mentorId, "mentor");

        // Act
        using var response = await api.SendAsync(HttpMethod.Put, $"/mentor/{mentorId}", new { displayName = "Ada" }, token);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }
}
