using System.Text;
using System.Text.Json;
using LiveStream.Infrastructure.Aws;
using LiveStream.Testing;

namespace LiveStream.Infrastructure.Tests.Aws;

/// <summary>
/// Calls the emulator lacks (MediaLive input security groups, MediaPackage harvest jobs), and wire details it does
/// not check (signatures, exact JSON members), against a capturing stub with an independent SigV4 check.
/// </summary>
public sealed class SignedRequestTests
{
    private const string Region = MotoServer.Region;

    [Fact]
    public async Task Creating_an_input_security_group_sends_a_signed_request_with_the_whitelist_rules()
    {
        // Arrange
        await using var stub = AwsStubServer.Start().Respond(new StubResponse(200, """
            {"securityGroup":{"arn":"arn:aws:medialive:us-east-1:123456789012:inputSecurityGroup:4242","id":"4242","inputs":[],"state":"IDLE",
             "whitelistRules":[{"cidr":"203.0.113.0/24"},{"cidr":"198.51.100.7/32"}]}}
            """));
        using var clients = new AwsTestClients(stub.ServiceUrl);

        // Act
        var group = await clients.MediaLive.CreateInputSecurityGroupAsync(
            ["203.0.113.0/24", "198.51.100.7/32"], new Dictionary<string, string> { ["app"] = "livestream" }, CancellationToken.None);

        // Assert
        var request = Assert.Single(stub.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/prod/inputSecurityGroups", request.RawUrl);
        Assert.Equal("application/json", request.Header("content-type"));
        SigV4Verifier.AssertSigned(request, MotoServer.AccessKey, MotoServer.SecretKey, Region, "medialive");
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal(
            ["203.0.113.0/24", "198.51.100.7/32"],
            body.RootElement.GetProperty("whitelistRules").EnumerateArray().Select(r => r.GetProperty("cidr").GetString()));
        Assert.Equal("livestream", body.RootElement.GetProperty("tags").GetProperty("app").GetString());
        Assert.Equal("4242", group.Id);
        Assert.Equal("IDLE", group.State);
        Assert.Equal(2, group.WhitelistRules!.Count);

        // The check is not vacuous: the same signature over another body, key or service is refused.
        var tampered = request with { Body = Encoding.UTF8.GetBytes(request.BodyText.Replace("/32", "/0", StringComparison.Ordinal)) };
        Assert.NotNull(SigV4Verifier.Check(tampered, MotoServer.AccessKey, MotoServer.SecretKey, Region, "medialive"));
        Assert.NotNull(SigV4Verifier.Check(request, MotoServer.AccessKey, "another-secret", Region, "medialive"));
        Assert.NotNull(SigV4Verifier.Check(request, MotoServer.AccessKey, MotoServer.SecretKey, Region, "mediapackage"));
    }

    [Fact]
    public async Task Deleting_an_input_security_group_sends_a_signed_delete_for_its_id()
    {
        // Arrange
        await using var stub = AwsStubServer.Start();
        using var clients = new AwsTestClients(stub.ServiceUrl);

        // Act
        await clients.MediaLive.DeleteInputSecurityGroupAsync("4242", CancellationToken.None);

        // Assert
        var request = Assert.Single(stub.Requests);
        Assert.Equal("DELETE", request.Method);
        Assert.Equal("/prod/inputSecurityGroups/4242", request.RawUrl);
        Assert.Empty(request.Body);
        SigV4Verifier.AssertSigned(request, MotoServer.AccessKey, MotoServer.SecretKey, Region, "medialive");
    }

    [Fact]
    public async Task Creating_an_rtmp_input_sends_its_security_groups_and_an_idempotency_token()
    {
        // Arrange: the emulator drops inputSecurityGroups, so the member name is checked on the wire.
        await using var stub = AwsStubServer.Start().Respond(new StubResponse(201, """
            {"input":{"arn":"arn:aws:medialive:us-east-1:123456789012:input:77","id":"77","type":"RTMP_PUSH","state":"CREATING",
             "destinations":[{"url":"rtmp://198.51.100.10:1935/live/k1","ip":"198.51.100.10","port":"1935"}],"securityGroups":["4242"]}}
            """));
        using var clients = new AwsTestClients(stub.ServiceUrl);

        // Act
        var input = await clients.MediaLive.CreateRtmpPushInputAsync(new("in", ["live/k1"], ["4242"]), CancellationToken.None);

        // Assert
        var request = Assert.Single(stub.Requests);
        SigV4Verifier.AssertSigned(request, MotoServer.AccessKey, MotoServer.SecretKey, Region, "medialive");
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("4242", body.RootElement.GetProperty("inputSecurityGroups")[0].GetString());
        Assert.Equal("RTMP_PUSH", body.RootElement.GetProperty("type").GetString());
        Assert.Equal("live/k1", body.RootElement.GetProperty("destinations")[0].GetProperty("streamName").GetString());
        Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("requestId").GetString()));
        Assert.Equal("rtmp://198.51.100.10:1935/live/k1", Assert.Single(input.Destinations!).Url);
    }

    [Fact]
    public async Task Creating_a_harvest_job_sends_a_signed_request_with_the_window_and_s3_destination()
    {
        // Arrange
        await using var stub = AwsStubServer.Start().Respond(new StubResponse(200, """
            {"arn":"arn:aws:mediapackage:us-east-1:123456789012:harvest_jobs/harvest-live-1","channelId":"mp-live-1","createdAt":"2026-01-02T11:00:05Z",
             "endTime":"2026-01-02T11:00:00Z","id":"harvest-live-1","originEndpointId":"mp-live-1-hls",
             "s3Destination":{"bucketName":"livestream-recordings","manifestKey":"live-1/index.m3u8","roleArn":"arn:aws:iam::123456789012:role/Harvest"},
             "startTime":"2026-01-02T10:00:00Z","status":"IN_PROGRESS"}
            """));
        using var clients = new AwsTestClients(stub.ServiceUrl);
        var request = new CreateHarvestJobRequest(
            "harvest-live-1",
            "mp-live-1-hls",
            new DateTimeOffset(2026, 1, 2, 11, 0, 0, TimeSpan.FromHours(1)),
            new DateTimeOffset(2026, 1, 2, 11, 0, 0, TimeSpan.Zero),
            new MediaPackageS3Destination("livestream-recordings", "live-1/index.m3u8", "arn:aws:iam::123456789012:role/Harvest"));

        // Act
        var job = await clients.MediaPackage.CreateHarvestJobAsync(request, CancellationToken.None);

        // Assert
        var sent = Assert.Single(stub.Requests);
        Assert.Equal("POST", sent.Method);
        Assert.Equal("/harvest_jobs", sent.RawUrl);
        SigV4Verifier.AssertSigned(sent, MotoServer.AccessKey, MotoServer.SecretKey, Region, "mediapackage");
        using var body = JsonDocument.Parse(sent.Body);
        var root = body.RootElement;
        Assert.Equal("harvest-live-1", root.GetProperty("id").GetString());
        Assert.Equal("mp-live-1-hls", root.GetProperty("originEndpointId").GetString());
        Assert.Equal("2026-01-02T10:00:00Z", root.GetProperty("startTime").GetString());
        Assert.Equal("2026-01-02T11:00:00Z", root.GetProperty("endTime").GetString());
        var s3 = root.GetProperty("s3Destination");
        Assert.Equal("livestream-recordings", s3.GetProperty("bucketName").GetString());
        Assert.Equal("live-1/index.m3u8", s3.GetProperty("manifestKey").GetString());
        Assert.Equal("arn:aws:iam::123456789012:role/Harvest", s3.GetProperty("roleArn").GetString());
        Assert.Equal(MediaPackageHarvestJobStatuses.InProgress, job.Status);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 10, 0, 0, TimeSpan.Zero), job.StartTime);
        Assert.Equal("mp-live-1", job.ChannelId);
    }

    [Fact]
    public async Task Describing_a_harvest_job_reads_its_status()
    {
        // Arrange
        await using var stub = AwsStubServer.Start().Respond(new StubResponse(200, """
            {"arn":"arn:aws:mediapackage:us-east-1:123456789012:harvest_jobs/harvest-live-2","id":"harvest-live-2","status":"SUCCEEDED",
             "originEndpointId":"mp-live-2-hls","s3Destination":{"bucketName":"b","manifestKey":"live-2/index.m3u8","roleArn":"arn:aws:iam::123456789012:role/Harvest"}}
            """));
        using var clients = new AwsTestClients(stub.ServiceUrl);

        // Act
        var job = await clients.MediaPackage.DescribeHarvestJobAsync("harvest-live-2", CancellationToken.None);

        // Assert
        var sent = Assert.Single(stub.Requests);
        Assert.Equal("GET", sent.Method);
        Assert.Equal("/harvest_jobs/harvest-live-2", sent.RawUrl);
        SigV4Verifier.AssertSigned(sent, MotoServer.AccessKey, MotoServer.SecretKey, Region, "mediapackage");
        Assert.Equal(MediaPackageHarvestJobStatuses.Succeeded, job.Status);
        Assert.Equal("live-2/index.m3u8", job.S3Destination!.ManifestKey);
    }

    [Fact]
    public async Task Temporary_credentials_send_and_sign_the_session_token()
    {
        // Arrange
        await using var stub = AwsStubServer.Start();
        using var clients = new AwsTestClients(stub.ServiceUrl, o => o.SessionToken = "session-token-from-sts");

        // Act
        await clients.MediaLive.DeleteInputSecurityGroupAsync("4242", CancellationToken.None);

        // Assert
        var request = Assert.Single(stub.Requests);
        Assert.Equal("session-token-from-sts", request.Header("x-amz-security-token"));
        Assert.Contains("x-amz-security-token", request.Header("authorization"), StringComparison.Ordinal);
        SigV4Verifier.AssertSigned(request, MotoServer.AccessKey, MotoServer.SecretKey, Region, "medialive");
    }

    [Fact]
    public async Task A_service_url_with_a_path_prefix_is_kept_and_signed()
    {
        // Arrange: e.g. an emulator or proxy mounted under a path.
        await using var stub = AwsStubServer.Start();
        using var clients = new AwsTestClients(new Uri(stub.ServiceUrl, "aws/"));

        // Act
        await clients.MediaPackage.DeleteOriginEndpointAsync("mp-endpoint_1", CancellationToken.None);

        // Assert
        var request = Assert.Single(stub.Requests);
        Assert.Equal("/aws/origin_endpoints/mp-endpoint_1", request.RawUrl);
        SigV4Verifier.AssertSigned(request, MotoServer.AccessKey, MotoServer.SecretKey, Region, "mediapackage");
    }

    [Fact]
    public async Task Sns_calls_are_signed_form_posts_with_action_version_and_flattened_attributes()
    {
        // Arrange
        await using var stub = AwsStubServer.Start().Respond(new StubResponse(200, """
            <CreatePlatformEndpointResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
              <CreatePlatformEndpointResult><EndpointArn>arn:aws:sns:us-east-1:123456789012:endpoint/APNS/app/abc</EndpointArn></CreatePlatformEndpointResult>
              <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>
            </CreatePlatformEndpointResponse>
            """, "text/xml"));
        using var clients = new AwsTestClients(stub.ServiceUrl);

        // Act
        var arn = await clients.Sns.CreatePlatformEndpointAsync(
            "arn:aws:sns:us-east-1:123456789012:app/APNS/app", "tok/en+1", null,
            new Dictionary<string, string> { [SnsEndpointAttributes.Enabled] = "true" }, CancellationToken.None);

        // Assert
        var request = Assert.Single(stub.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/", request.RawUrl);
        Assert.StartsWith("application/x-www-form-urlencoded", request.Header("content-type"), StringComparison.Ordinal);
        SigV4Verifier.AssertSigned(request, MotoServer.AccessKey, MotoServer.SecretKey, Region, "sns");
        var form = request.BodyText.Split('&')
            .Select(pair => pair.Split('='))
            .ToDictionary(p => Uri.UnescapeDataString(p[0]), p => Uri.UnescapeDataString(p[1]));
        Assert.Equal("CreatePlatformEndpoint", form["Action"]);
        Assert.Equal("2010-03-31", form["Version"]);
        Assert.Equal("tok/en+1", form["Token"]);
        Assert.Equal("Enabled", form["Attributes.entry.1.key"]);
        Assert.Equal("true", form["Attributes.entry.1.value"]);
        Assert.Equal("arn:aws:sns:us-east-1:123456789012:endpoint/APNS/app/abc", arn);
    }
}
