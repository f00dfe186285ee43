using System.Net;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SQS;
using LiveStream.Infrastructure.Tests.Aws;
using LiveStream.Testing;

namespace LiveStream.Host.Tests.Media;

/// <summary>
/// <c>Media:Provider=aws</c> against the moto emulator: what the session creates, stops and deletes is read back
/// from the emulator's own state; the two calls it lacks are checked on the wire (signature and body).
/// </summary>
public sealed class AwsMediaTests
{
    private const string Bucket = "livestream-recordings";

    [Fact]
    public async Task Session_creates_its_channel_stops_and_harvests_is_recorded_from_the_s3_event_and_leaves_nothing_behind()
    {
        // Arrange
        await using var moto = await MotoServer.StartAsync();
        await using var proxy = new AwsRoutingProxy(moto.ServiceUrl);
        var queueUrl = await CreateBucketWithQueueAsync(moto.ServiceUrl);
        await using var database = await TestDatabase.CreateAsync();
        await using var host = await HostProcess.StartAsync(new HostProcessOptions(database.ConnectionString, HostProcess.NewSigningKey())
        {
            Settings = AwsSettings(proxy.ServiceUrl, queueUrl),
        });
        using var api = new ApiClient(host.CreateClient());
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        var liveId = await api.ScheduleAsync(mentorId, "engines", token);

        // Act: start
        using var startResponse = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/start", token: token);
        var started = await ApiClient.JsonAsync(startResponse);
        using var ingestResponse = await api.SendAsync(HttpMethod.Get, $"/livestream/{liveId}/ingest", token: token);
        var ingest = await ApiClient.JsonAsync(ingestResponse);
        var whileLive = await SessionResourcesAsync(moto, liveId);

        // Act: stop, then S3 reports the harvested manifest through SQS
        using var stopResponse = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/stop", token: token);
        var stopped = await ApiClient.JsonAsync(stopResponse);
        var afterStop = await SessionResourcesAsync(moto, liveId);
        await PutRecordingAsync(moto.ServiceUrl, $"recordings/{liveId}/index.m3u8");
        var recorded = await WaitForStateAsync(api, mentorId, liveId, token, "recorded");
        var afterRecording = await LiveResourcesAsync(moto, whileLive);

        // Assert: start created one of each, the endpoint with a startover window, played through CloudFront.
        Assert.Equal(HttpStatusCode.OK, startResponse.StatusCode);
        Assert.Equal("live", started.GetProperty("state").GetString());
        Assert.StartsWith("https://d111.cloudfront.test/", started.GetProperty("playbackUrl").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, ingestResponse.StatusCode);
        Assert.Equal(1, whileLive.MediaLiveChannels.Count(c => c.State is "RUNNING" or "STARTING"));
        var input = Assert.Single(whileLive.Inputs);
        var secret = ingest.GetProperty("streamKey").GetString()!.Split('.')[1];
        Assert.Contains($"live/{secret}", input.GetRawText(), StringComparison.Ordinal);
        Assert.Single(whileLive.PackageChannels);
        var endpoint = Assert.Single(whileLive.Endpoints);
        Assert.Equal(5 * 3600, endpoint.GetProperty("startover_window_seconds").GetInt32());

        // Assert: stop stopped the channel and asked for the harvest, signed, to the recordings bucket.
        Assert.Equal("ended", stopped.GetProperty("state").GetString());
        Assert.All(afterStop.MediaLiveChannels, c => Assert.Contains(c.State, new[] { "IDLE", "STOPPING" }));
        var harvest = Assert.Single(proxy.Stubbed, r => r.Method == "POST" && r.RawUrl.StartsWith("/harvest_jobs", StringComparison.Ordinal));
        SigV4Verifier.AssertSigned(harvest, MotoServer.AccessKey, MotoServer.SecretKey, MotoServer.Region, "mediapackage");
        using var harvestBody = JsonDocument.Parse(harvest.Body);
        Assert.Equal(endpoint.GetProperty("id").GetString(), harvestBody.RootElement.GetProperty("originEndpointId").GetString());
        Assert.Equal(Bucket, harvestBody.RootElement.GetProperty("s3Destination").GetProperty("bucketName").GetString());
        Assert.Equal($"recordings/{liveId}/index.m3u8", harvestBody.RootElement.GetProperty("s3Destination").GetProperty("manifestKey").GetString());
        var group = Assert.Single(proxy.Stubbed, r => r.Method == "POST" && r.RawUrl.StartsWith("/prod/inputSecurityGroups", StringComparison.Ordinal));
        SigV4Verifier.AssertSigned(group, MotoServer.AccessKey, MotoServer.SecretKey, MotoServer.Region, "medialive");

        // Assert: the S3 event set the recording URL and every resource of the session is gone.
        Assert.Equal($"https://recordings.cloudfront.test/recordings/{liveId}/index.m3u8", recorded.GetProperty("recordingUrl").GetString());
        Assert.Empty(afterRecording);
        Assert.Single(proxy.Stubbed, r => r.Method == "DELETE" && r.RawUrl.StartsWith("/prod/inputSecurityGroups", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cancelling_a_prewarmed_session_deletes_its_channel()
    {
        // Arrange: the start is inside the pre-warm lead, so the channel is created right after scheduling.
        await using var moto = await MotoServer.StartAsync();
        await using var proxy = new AwsRoutingProxy(moto.ServiceUrl);
        var queueUrl = await CreateBucketWithQueueAsync(moto.ServiceUrl);
        await using var database = await TestDatabase.CreateAsync();
        await using var host = await HostProcess.StartAsync(new HostProcessOptions(database.ConnectionString, HostProcess.NewSigningKey())
        {
            Settings = AwsSettings(proxy.ServiceUrl, queueUrl),
        });
        using var api = new ApiClient(host.CreateClient());
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        using var scheduled = await api.SendAsync(HttpMethod.Post, "/livestream/", new { mentorId, courseId = "engines", title = "Soon", scheduledStart = DateTimeOffset.UtcNow.AddMinutes(3) }, token);
        var liveId = (await ApiClient.JsonAsync(scheduled)).GetProperty("liveId").GetString()!;
        var prewarmed = await WaitForResourcesAsync(moto, liveId);

        // Act
        using var cancel = await api.SendAsync(HttpMethod.Delete, $"/livestream/{liveId}", token: token);
        var afterCancel = await LiveResourcesAsync(moto, prewarmed);

        // Assert
        Assert.Single(prewarmed.PackageChannels);
        Assert.Single(prewarmed.MediaLiveChannels);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("cancelled", (await ApiClient.JsonAsync(cancel)).GetProperty("state").GetString());
        Assert.Empty(afterCancel);
    }

    private static Dictionary<string, string> AwsSettings(Uri serviceUrl, string queueUrl) => new()
    {
        ["Media:Provider"] = "aws",
        ["Aws:ServiceUrl"] = serviceUrl.ToString(),
        ["Aws:Region"] = MotoServer.Region,
        ["Aws:AccessKey"] = MotoServer.AccessKey,
        ["Aws:SecretKey"] = MotoServer.SecretKey,
        ["Media:Aws:MediaLiveRoleArn"] = "arn:aws:iam::123456789012:role/MediaLiveAccessRole",
        ["Media:Aws:HarvestRoleArn"] = "arn:aws:iam::123456789012:role/MediaPackageHarvestRole",
        ["Media:Aws:RecordingsBucket"] = Bucket,
        ["Media:Aws:RecordingQueueUrl"] = queueUrl,
        ["Media:Aws:CloudFrontDomain"] = "d111.cloudfront.test",
        ["Media:Aws:RecordingsBaseUrl"] = "https://recordings.cloudfront.test",
        ["Media:Aws:PrewarmLead"] = "00:10:00",
    };

    private static BasicAWSCredentials Credentials => new(MotoServer.AccessKey, MotoServer.SecretKey);

    /// <summary>The recordings bucket notifies an SQS queue of created objects, as production's does.</summary>
    private static async Task<string> CreateBucketWithQueueAsync(Uri moto)
    {
        using var sqs = new AmazonSQSClient(Credentials, new AmazonSQSConfig { ServiceURL = moto.ToString(), AuthenticationRegion = MotoServer.Region });
        var queueUrl = (await sqs.CreateQueueAsync("livestream-recordings")).QueueUrl;
        var queueArn = (await sqs.GetQueueAttributesAsync(queueUrl, ["QueueArn"])).QueueARN;
        using var s3 = S3(moto);
        await s3.PutBucketAsync(Bucket);
        await s3.PutBucketNotificationAsync(new PutBucketNotificationRequest
        {
            BucketName = Bucket,
            QueueConfigurations = [new QueueConfiguration { Queue = queueArn, Events = [EventType.ObjectCreatedAll] }],
        });
        return queueUrl;
    }

    private static async Task PutRecordingAsync(Uri moto, string key)
    {
        using var s3 = S3(moto);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = key, ContentBody = "#EXTM3U\n#EXT-X-ENDLIST\n" });
    }

    private static AmazonS3Client S3(Uri moto) =>
        new(Credentials, new AmazonS3Config { ServiceURL = moto.ToString(), ForcePathStyle = true, AuthenticationRegion = MotoServer.Region });

    private sealed record MediaLiveChannelState(string Id, string State);

    private sealed record SessionResources(
        IReadOnlyList<MediaLiveChannelState> MediaLiveChannels, IReadOnlyList<JsonElement> Inputs, IReadOnlyList<JsonElement> PackageChannels, IReadOnlyList<JsonElement> Endpoints)
    {
        public override string ToString() =>
            $"MediaLive channels: {string.Join(", ", MediaLiveChannels)}; inputs: {Inputs.Count}; MediaPackage channels: {PackageChannels.Count}; endpoints: {Endpoints.Count}";
    }

    /// <summary>What the emulator holds for one session (its resources are named after the live id).</summary>
    private static async Task<SessionResources> SessionResourcesAsync(MotoServer moto, string liveId)
    {
        using var state = await moto.GetStateAsync();
        var root = state.RootElement;
        List<JsonElement> Models(string service, string model, string property, string value) =>
            root.TryGetProperty(service, out var s) && s.TryGetProperty(model, out var m)
                ? [.. m.EnumerateArray().Where(e => e.TryGetProperty(property, out var p) && (p.GetString() ?? string.Empty).Contains(value, StringComparison.Ordinal)).Select(e => e.Clone())]
                : [];
        var inputs = Models("medialive", "Input", "name", liveId).Where(i => !i.TryGetProperty("state", out var s) || s.GetString() is not ("DELETING" or "DELETED")).ToList();
        return new SessionResources(
            [.. Models("medialive", "Channel", "name", liveId).Select(c => new MediaLiveChannelState(c.GetProperty("id").GetString()!, c.GetProperty("state").GetString()!))],
            inputs,
            Models("mediapackage", "Channel", "channel_id", liveId),
            Models("mediapackage", "OriginEndpoint", "id", liveId));
    }

    /// <summary>
    /// Which of the resources seen earlier the emulator still serves, asked through its API (data.json keeps every
    /// instance ever created, deleted or not). The emulator routes on the credential scope and does not check
    /// signatures, so a scope-only Authorization header is enough to address MediaLive or MediaPackage.
    /// </summary>
    private static async Task<List<string>> LiveResourcesAsync(MotoServer moto, SessionResources seen)
    {
        var alive = new List<string>();
        foreach (var channel in seen.MediaLiveChannels)
        {
            var (status, body) = await MotoGetAsync(moto, "medialive", $"/prod/channels/{channel.Id}");
            if (status == HttpStatusCode.OK && body.GetProperty("state").GetString() is not ("DELETED" or "DELETING"))
            {
                alive.Add($"MediaLive channel {channel.Id} ({body.GetProperty("state").GetString()})");
            }
        }

        foreach (var input in seen.Inputs)
        {
            var id = input.GetProperty("id").GetString()!;
            var (status, body) = await MotoGetAsync(moto, "medialive", $"/prod/inputs/{id}");
            if (status == HttpStatusCode.OK && body.GetProperty("state").GetString() is not ("DELETED" or "DELETING"))
            {
                alive.Add($"MediaLive input {id}");
            }
        }

        foreach (var channel in seen.PackageChannels)
        {
            var id = channel.GetProperty("channel_id").GetString()!;
            if ((await MotoGetAsync(moto, "mediapackage", $"/channels/{id}")).Status == HttpStatusCode.OK)
            {
                alive.Add($"MediaPackage channel {id}");
            }
        }

        var (_, endpoints) = await MotoGetAsync(moto, "mediapackage", "/origin_endpoints");
        foreach (var endpoint in seen.Endpoints)
        {
            var id = endpoint.GetProperty("id").GetString()!;
            if (endpoints.GetProperty("originEndpoints").EnumerateArray().Any(e => e.GetProperty("id").GetString() == id))
            {
                alive.Add($"MediaPackage endpoint {id}");
            }
        }

        return alive;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> MotoGetAsync(MotoServer moto, string service, string path)
    {
        using var http = new HttpClient { BaseAddress = moto.ServiceUrl };
        using var request = new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/'));
        request.Headers.TryAddWithoutValidation(
            "Authorization", $"AWS4-HMAC-SHA256 Credential={MotoServer.AccessKey}/20260101/{MotoServer.Region}/{service}/aws4_request, SignedHeaders=host, Signature=0");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 && text.TrimStart().StartsWith('{') ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    private static async Task<SessionResources> WaitForResourcesAsync(MotoServer moto, string liveId)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var resources = await SessionResourcesAsync(moto, liveId);
            if (resources.MediaLiveChannels.Count > 0 || watch.Elapsed > TimeSpan.FromSeconds(20))
            {
                return resources;
            }

            await Task.Delay(250);
        }
    }

    private static async Task<JsonElement> WaitForStateAsync(ApiClient api, string mentorId, string liveId, string token, string state)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var last = string.Empty;
        while (watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            last = await api.ReadAsync($"/mentor/{mentorId}/live/{liveId}", token);
            var detail = JsonDocument.Parse(last).RootElement;
            if (detail.GetProperty("state").GetString() == state)
            {
                return detail.Clone();
            }

            await Task.Delay(250);
        }

        throw new Xunit.Sdk.XunitException($"Session {liveId} did not become {state}: {last}");
    }
}
