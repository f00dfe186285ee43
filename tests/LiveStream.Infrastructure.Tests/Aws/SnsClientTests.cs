using System.Text.Json;
using LiveStream.Infrastructure.Aws;
using LiveStream.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LiveStream.Infrastructure.Tests.Aws;

/// <summary>SNS mobile push endpoints and publishes against the emulator.</summary>
public sealed class SnsClientTests(MotoFixture moto) : IClassFixture<MotoFixture>
{
    [Fact]
    public async Task Creating_a_platform_endpoint_registers_the_device_token()
    {
        // Arrange
        using var clients = new AwsTestClients(moto.Server.ServiceUrl);
        var application = await CreatePlatformApplicationAsync(clients, "register");

        // Act
        var endpointArn = await clients.Sns.CreatePlatformEndpointAsync(
            application, "device-token-register", "mentee-1/device-a", null, CancellationToken.None);
        var attributes = await clients.Sns.GetEndpointAttributesAsync(endpointArn, CancellationToken.None);

        // Assert
        var recorded = await MotoState.FindAsync(moto.Server, "sns", "PlatformEndpoint", "arn", endpointArn);
        Assert.Equal("device-token-register", recorded.GetProperty("token").GetString());
        Assert.Equal("mentee-1/device-a", recorded.GetProperty("custom_user_data").GetString());
        Assert.Equal("device-token-register", attributes[SnsEndpointAttributes.Token]);
        Assert.Equal("true", attributes[SnsEndpointAttributes.Enabled]);
    }

    [Fact]
    public async Task Setting_endpoint_attributes_is_read_back()
    {
        // Arrange
        using var clients = new AwsTestClients(moto.Server.ServiceUrl);
        var application = await CreatePlatformApplicationAsync(clients, "attributes");
        var endpointArn = await clients.Sns.CreatePlatformEndpointAsync(application, "device-token-old", null, null, CancellationToken.None);

        // Act
        await clients.Sns.SetEndpointAttributesAsync(
            endpointArn,
            new Dictionary<string, string> { [SnsEndpointAttributes.Token] = "device-token-new", [SnsEndpointAttributes.Enabled] = "false" },
            CancellationToken.None);
        var attributes = await clients.Sns.GetEndpointAttributesAsync(endpointArn, CancellationToken.None);

        // Assert
        Assert.Equal("device-token-new", attributes[SnsEndpointAttributes.Token]);
        Assert.Equal("false", attributes[SnsEndpointAttributes.Enabled]);
    }

    [Fact]
    public async Task Publishing_a_push_message_records_it_for_the_endpoint_with_a_payload_per_platform()
    {
        // Arrange
        using var clients = new AwsTestClients(moto.Server.ServiceUrl);
        var application = await CreatePlatformApplicationAsync(clients, "publish");
        var endpointArn = await clients.Sns.CreatePlatformEndpointAsync(application, "device-token-publish", null, null, CancellationToken.None);
        var message = new SnsPushMessage("Ada is live", "Intro to Orleans — join now")
        {
            Data = new Dictionary<string, string> { ["liveId"] = "live-42", ["kind"] = "live" },
        };

        // Act
        var messageId = await clients.Sns.PublishAsync(endpointArn, message, CancellationToken.None);

        // Assert
        var recorded = await MotoState.FindAsync(moto.Server, "sns", "PlatformEndpoint", "arn", endpointArn);
        var published = recorded.GetProperty("messages").GetProperty(messageId).GetString()!;
        using var structure = JsonDocument.Parse(published);
        Assert.Equal("Intro to Orleans — join now", structure.RootElement.GetProperty("default").GetString());

        using var apns = JsonDocument.Parse(structure.RootElement.GetProperty("APNS").GetString()!);
        Assert.Equal("Ada is live", apns.RootElement.GetProperty("aps").GetProperty("alert").GetProperty("title").GetString());
        Assert.Equal("live-42", apns.RootElement.GetProperty("liveId").GetString());
        Assert.Equal(structure.RootElement.GetProperty("APNS").GetString(), structure.RootElement.GetProperty("APNS_SANDBOX").GetString());

        using var gcm = JsonDocument.Parse(structure.RootElement.GetProperty("GCM").GetString()!);
        var fcm = gcm.RootElement.GetProperty("fcmV1Message").GetProperty("message");
        Assert.Equal("Intro to Orleans — join now", fcm.GetProperty("notification").GetProperty("body").GetString());
        Assert.Equal("live-42", fcm.GetProperty("data").GetProperty("liveId").GetString());
    }

    [Fact]
    public async Task Publishing_a_plain_message_records_it_as_is()
    {
        // Arrange
        using var clients = new AwsTestClients(moto.Server.ServiceUrl);
        var application = await CreatePlatformApplicationAsync(clients, "plain");
        var endpointArn = await clients.Sns.CreatePlatformEndpointAsync(application, "device-token-plain", null, null, CancellationToken.None);

        // Act
        var messageId = await clients.Sns.PublishAsync(endpointArn, "a & b = c + d", CancellationToken.None);

        // Assert: the form encoding survives reserved characters.
        var recorded = await MotoState.FindAsync(moto.Server, "sns", "PlatformEndpoint", "arn", endpointArn);
        Assert.Equal("a & b = c + d", recorded.GetProperty("messages").GetProperty(messageId).GetString());
    }

    [Fact]
    public async Task Deleting_an_endpoint_removes_it()
    {
        // Arrange
        using var clients = new AwsTestClients(moto.Server.ServiceUrl);
        var application = await CreatePlatformApplicationAsync(clients, "delete");
        var endpointArn = await clients.Sns.CreatePlatformEndpointAsync(application, "device-token-delete", null, null, CancellationToken.None);

        // Act
        await clients.Sns.DeleteEndpointAsync(endpointArn, CancellationToken.None);

        // Assert
        var error = await Assert.ThrowsAsync<AwsServiceException>(
            () => clients.Sns.GetEndpointAttributesAsync(endpointArn, CancellationToken.None));
        Assert.Equal("NotFound", error.ErrorCode);
        Assert.True(error.IsNotFound);
        await clients.Sns.DeleteEndpointAsync(endpointArn, CancellationToken.None);
    }

    [Fact]
    public async Task AddLiveStreamAws_binds_the_aws_section_and_resolves_working_clients()
    {
        // Arrange
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Aws:Region"] = MotoServer.Region,
                ["Aws:ServiceUrl"] = moto.Server.ServiceUrl.ToString(),
                ["Aws:AccessKey"] = MotoServer.AccessKey,
                ["Aws:SecretKey"] = MotoServer.SecretKey,
                ["Aws:MaxErrorRetry"] = "1",
            })
            .Build();
        var services = new ServiceCollection().AddLogging().AddLiveStreamAws(configuration);
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        // Act
        var core = provider.GetRequiredService<AwsClientCore>();
        var sns = provider.GetRequiredService<SnsClient>();
        var application = await CreatePlatformApplicationAsync(core, "di");
        var endpointArn = await sns.CreatePlatformEndpointAsync(application, "device-token-di", null, null, CancellationToken.None);

        // Assert
        Assert.NotNull(provider.GetRequiredService<MediaLiveClient>());
        Assert.NotNull(provider.GetRequiredService<MediaPackageClient>());
        Assert.Equal(MotoServer.Region, core.Region);
        var recorded = await MotoState.FindAsync(moto.Server, "sns", "PlatformEndpoint", "arn", endpointArn);
        Assert.Equal("device-token-di", recorded.GetProperty("token").GetString());
    }

    private static Task<string> CreatePlatformApplicationAsync(AwsTestClients clients, string name) =>
        CreatePlatformApplicationAsync(clients.Core, name);

    // Production never creates platform applications (operators do, once per app), so the test signs the call itself.
    private static async Task<string> CreatePlatformApplicationAsync(AwsClientCore core, string name)
    {
        var result = await core.SendQueryAsync(
            AwsService.Sns,
            "CreatePlatformApplication",
            SnsClient.ApiVersion,
            [
                new("Name", $"livestream-{name}"),
                new("Platform", "GCM"),
                new("Attributes.entry.1.key", "PlatformCredential"),
                new("Attributes.entry.1.value", "test-fcm-service-account"),
            ],
            CancellationToken.None);
        var arn = result.Elements().Single(e => e.Name.LocalName == "PlatformApplicationArn").Value;
        Assert.StartsWith("arn:aws:sns:", arn, StringComparison.Ordinal);
        return arn;
    }
}
