using LiveStream.Testing;
using static Microsoft.Playwright.Assertions;

namespace LiveStream.Web.Tests;

/// <summary>
/// The web app as deployed behind Cognito: dev tokens off, an OIDC authority configured. The host and the test issuer
/// (authorization code flow with PKCE, like Cognito's hosted UI) are shared by the tests of this class.
/// </summary>
public sealed class OidcWebHost : IAsyncLifetime
{
    public const string ClientId = "7ab2webapp0client0livestream";

    private TestDatabase? _database;
    private HostProcess? _host;

    public OidcTestIssuer Issuer { get; } = OidcTestIssuer.Start();

    public string BaseUrl => (_host ?? throw new InvalidOperationException("Fixture not started.")).BaseAddress.ToString().TrimEnd('/');

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        _host = await HostProcess.StartAsync(new HostProcessOptions(_database.ConnectionString, HostProcess.NewSigningKey())
        {
            Environment = "Production",
            ReadyTimeout = TimeSpan.FromMinutes(3),
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

[Collection(WebCollection.Name)]
public sealed class OidcSignInTests(WebFixture fixture, OidcWebHost host) : IClassFixture<OidcWebHost>
{
    [Fact]
    public async Task The_sign_in_button_signs_a_mentor_in_through_the_issuer_and_the_console_works_with_its_token()
    {
        // Arrange: the person at the issuer's hosted UI is a mentor (Cognito group "mentor").
        var mentorId = Ids.New("mentor");
        host.Issuer.SignInAs(mentorId, ["mentor"]);
        var tokensBefore = host.Issuer.TokensIssued;
        await using var mentor = await fixture.OpenAsync(390, host.BaseUrl);
        mentor.ExpectRejection($"/mentor/{mentorId}"); // no profile yet: the console asks for one

        // Act
        await mentor.Page.GotoAsync("/");
        await Expect(mentor.Page.Locator("form[data-form=dev-token]")).ToHaveCountAsync(0);
        await mentor.Page.Locator("[data-oidc-sign-in]").ClickAsync();

        // Assert: back on the app with the code exchanged once, signed in as the issuer's subject in the mentor role,
        // and the API accepts the access token (the console saves a profile and a course with it).
        await Expect(mentor.Page.Locator($"[data-signed-in='{mentorId}']")).ToContainTextAsync("(mentor)");
        Assert.Equal(tokensBefore + 1, host.Issuer.TokensIssued);
        Assert.DoesNotContain("code=", mentor.Page.Url, StringComparison.Ordinal);
        await mentor.FillMentorProfileAsync();
        await mentor.AssertFitsAndCleanAsync("console after OIDC sign-in");
    }

    [Fact]
    public async Task An_account_in_no_livestream_group_is_told_so_and_stays_signed_out()
    {
        // Arrange: a user pool account in no group, so no role.
        host.Issuer.SignInAs(Ids.New("nobody"), []);
        await using var page = await fixture.OpenAsync(1280, host.BaseUrl);

        // Act
        await page.Page.GotoAsync("/");
        await page.Page.Locator("[data-oidc-sign-in]").ClickAsync();

        // Assert
        await Expect(page.Page.Locator(".notice.error")).ToContainTextAsync("neither a mentor nor a mentee");
        await Expect(page.Page.Locator("[data-signed-in]")).ToHaveCountAsync(0);
        await Expect(page.Page.Locator("[data-oidc-sign-in]")).ToBeVisibleAsync();
        await page.AssertFitsAndCleanAsync("sign-in page after a refused account");
    }
}
