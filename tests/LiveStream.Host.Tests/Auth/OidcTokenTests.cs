using System.Net;
using System.Security.Cryptography;
using LiveStream.Testing;

namespace LiveStream.Host.Tests.Auth;

/// <summary>
/// The host as deployed behind Cognito (deploy/README.md, "Sign-in"): dev tokens off, <c>Auth:Authority</c> an OIDC
/// issuer (served by the test), <c>Auth:Audience</c> the app client id, roles from <c>cognito:groups</c>.
/// </summary>
public sealed class OidcHostFixture : IAsyncLifetime
{
    public const string ClientId = "5nq3app0client0id0livestream";

    private TestDatabase? _database;
    private HostProcess? _host;

    public OidcTestIssuer Issuer { get; } = OidcTestIssuer.Start();

    public ApiClient CreateClient() => new((_host ?? throw new InvalidOperationException("Fixture not started.")).CreateClient());

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        _host = await HostProcess.StartAsync(new HostProcessOptions(_database.ConnectionString, HostProcess.NewSigningKey())
        {
            Environment = "Production",
            ReadyTimeout = TimeSpan.FromMinutes(2),
            Settings = Issuer.HostSettings(ClientId),
        });
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        await Issuer.DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class OidcCollection : ICollectionFixture<OidcHostFixture>
{
    public const string Name = "oidc";
}

[Collection(OidcCollection.Name)]
public sealed class OidcTokenTests(OidcHostFixture fixture)
{
    private static readonly string[] Mentor = ["mentor"];

    [Fact]
    public async Task A_cognito_access_token_without_aud_is_accepted_for_its_app_client_with_the_role_from_its_groups()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var token = fixture.Issuer.AccessToken(mentorId, OidcHostFixture.ClientId, Mentor);

        // Act
        using var response = await PutProfileAsync(api, mentorId, token);

        // Assert: signed in as the subject, in the mentor role (a mentor acts only on their own profile).
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Ada", (await ApiClient.JsonAsync(await api.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}", token: token))).GetProperty("displayName").GetString());
    }

    [Fact]
    public async Task A_cognito_id_token_whose_audience_is_the_app_client_is_accepted()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var token = fixture.Issuer.IdToken(mentorId, OidcHostFixture.ClientId, Mentor);

        // Act
        using var response = await PutProfileAsync(api, mentorId, token);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_valid_token_without_the_mentor_group_is_signed_in_but_not_a_mentor()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var userId = Ids.New("mentor");
        var token = fixture.Issuer.AccessToken(userId, OidcHostFixture.ClientId, ["mentee"]);

        // Act
        using var response = await PutProfileAsync(api, userId, token);

        // Assert
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Forbidden);
    }

    public static TheoryData<string> Refused => new()
    {
        "wrong issuer", "access token of another app client", "id token for another audience", "expired", "alg none", "key the issuer never published",
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_token_that_is_not_for_this_app_or_not_genuine_is_refused_with_401(string flaw)
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var issuer = fixture.Issuer;
        var token = flaw switch
        {
            "wrong issuer" => issuer.AccessToken(mentorId, OidcHostFixture.ClientId, Mentor, new TokenChanges { Issuer = "https://cognito-idp.ap-southeast-1.amazonaws.com/ap-southeast-1_Other" }),
            "access token of another app client" => issuer.AccessToken(mentorId, "another-app-client", Mentor),
            "id token for another audience" => issuer.IdToken(mentorId, "another-app-client", Mentor),
            "expired" => issuer.AccessToken(mentorId, OidcHostFixture.ClientId, Mentor, new TokenChanges { Expires = DateTimeOffset.UtcNow.AddMinutes(-5) }),
            "alg none" => issuer.UnsignedAccessToken(mentorId, OidcHostFixture.ClientId, Mentor),
            "key the issuer never published" => issuer.AccessToken(mentorId, OidcHostFixture.ClientId, Mentor, new TokenChanges { SigningKey = RSA.Create(2048), KeyId = issuer.CurrentKeyId }),
            _ => throw new ArgumentOutOfRangeException(nameof(flaw)),
        };

        // Act
        using var response = await PutProfileAsync(api, mentorId, token);

        // Assert: refused, and nothing was written.
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        var valid = issuer.AccessToken(mentorId, OidcHostFixture.ClientId, Mentor);
        await api.AssertMissingAsync($"/mentor/{mentorId}", valid);
    }

    [Fact]
    public async Task After_a_key_rotation_tokens_of_the_new_key_are_accepted_and_fresh_tokens_of_the_retired_key_refused()
    {
        // Arrange: the process knows the current key (a token of it was accepted).
        using var api = fixture.CreateClient();
        var before = Ids.New("mentor");
        using (var warm = await PutProfileAsync(api, before, fixture.Issuer.AccessToken(before, OidcHostFixture.ClientId, Mentor)))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        // Act
        var retired = fixture.Issuer.RotateKeys();
        var mentorId = Ids.New("mentor");
        var rotated = fixture.Issuer.AccessToken(mentorId, OidcHostFixture.ClientId, Mentor);
        var accepted = await EventuallyAsync(async () =>
        {
            using var response = await PutProfileAsync(api, mentorId, rotated);
            return response.StatusCode == HttpStatusCode.OK;
        });
        var stale = fixture.Issuer.AccessToken(mentorId, OidcHostFixture.ClientId, Mentor, new TokenChanges { SigningKey = retired.Key, KeyId = retired.Kid });
        using var refused = await PutProfileAsync(api, mentorId, stale);

        // Assert
        Assert.True(accepted, "a token signed with the rotated-in key was never accepted");
        await ApiClient.AssertProblemAsync(refused, HttpStatusCode.Unauthorized);
    }

    private static Task<HttpResponseMessage> PutProfileAsync(ApiClient api, string mentorId, string token) =>
        api.SendAsync(HttpMethod.Put, $"/mentor/{mentorId}", new { displayName = "Ada", bio = "Engines" }, token);

    /// <summary>The new key is fetched when a token names it (at most once per KeyRefreshInterval): retry until then.</summary>
    private static async Task<bool> EventuallyAsync(Func<Task<bool>> attempt)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (await attempt())
            {
                return true;
            }

            await Task.Delay(250);
        }

        return false;
    }
}
