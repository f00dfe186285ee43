using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SQS;
using LiveStream.Testing;

namespace LiveStream.Host.Tests.Media;

/// <summary>AWS mode against moto: the settings a host needs, the queue and bucket production has, and what moto holds.</summary>
internal static class MotoMedia
{
    public const string Bucket = "livestream-recordings";

    public const string CloudFrontKeyId = "K2TESTKEYID";

    /// <summary>The key pair of the distributions' trusted key group: the host signs with it, tests verify with it.</summary>
    public static readonly RSA CloudFrontKey = RSA.Create(2048);

    public static Dictionary<string, string> AwsSettings(Uri serviceUrl, string queueUrl) => new(MotoServer.AwsSettings(serviceUrl))
    {
        ["Media:Provider"] = "aws",
        ["Media:Aws:MediaLiveRoleArn"] = "arn:aws:iam::123456789012:role/MediaLiveAccessRole",
        ["Media:Aws:HarvestRoleArn"] = "arn:aws:iam::123456789012:role/MediaPackageHarvestRole",
        ["Media:Aws:RecordingsBucket"] = Bucket,
        ["Media:Aws:RecordingEventsQueueUrl"] = queueUrl,
        ["Media:Aws:LivePlaybackBaseUrl"] = "https://d111.cloudfront.test",
        ["Media:Aws:RecordingsBaseUrl"] = "https://recordings.cloudfront.test",
        ["Media:Aws:PrewarmLead"] = "00:10:00",
        ["Media:Playback:CloudFrontKeyId"] = CloudFrontKeyId,
        ["Media:Playback:CloudFrontPrivateKey"] = CloudFrontKey.ExportRSAPrivateKeyPem(),
    };

    /// <summary>
    /// Checks a URL is CloudFront-signed as the distribution will check it: custom policy over the URL's directory
    /// (so segments are covered), not yet expired, RSA-SHA1 signature of the policy with our key pair.
    /// </summary>
    public static void AssertCloudFrontSigned(string? signedUrl, string unsignedUrl)
    {
        Assert.NotNull(signedUrl);
        Assert.StartsWith(unsignedUrl + "?Policy=", signedUrl, StringComparison.Ordinal);
        var query = System.Web.HttpUtility.ParseQueryString(new Uri(signedUrl).Query);
        var policy = FromQuerySafe(query["Policy"]!);
        var signature = FromQuerySafe(query["Signature"]!);
        Assert.Equal(CloudFrontKeyId, query["Key-Pair-Id"]);
        Assert.True(CloudFrontKey.VerifyData(policy, signature, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1), "The CloudFront signature does not verify.");
        using var document = JsonDocument.Parse(policy);
        var statement = Assert.Single(document.RootElement.GetProperty("Statement").EnumerateArray());
        Assert.Equal(unsignedUrl[..(unsignedUrl.LastIndexOf('/') + 1)] + "*", statement.GetProperty("Resource").GetString());
        var expires = DateTimeOffset.FromUnixTimeSeconds(statement.GetProperty("Condition").GetProperty("DateLessThan").GetProperty("AWS:EpochTime").GetInt64());
        Assert.InRange(expires, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(2));
    }

    private static byte[] FromQuerySafe(string value) => Convert.FromBase64String(value.Replace('-', '+').Replace('_', '=').Replace('~', '/'));

    private static BasicAWSCredentials Credentials => new(MotoServer.AccessKey, MotoServer.SecretKey);

    /// <summary>The recordings bucket notifies an SQS queue of created objects, as production's does.</summary>
    public static async Task<string> CreateBucketWithQueueAsync(Uri moto)
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

    public static async Task PutRecordingAsync(Uri moto, string key)
    {
        using var s3 = S3(moto);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = key, ContentBody = "#EXTM3U\n#EXT-X-ENDLIST\n" });
    }

    private static AmazonS3Client S3(Uri moto) =>
        new(Credentials, new AmazonS3Config { ServiceURL = moto.ToString(), ForcePathStyle = true, AuthenticationRegion = MotoServer.Region });

    public sealed record MediaLiveChannelState(string Id, string State, string Arn);

    public sealed record SessionResources(
        IReadOnlyList<MediaLiveChannelState> MediaLiveChannels, IReadOnlyList<JsonElement> Inputs, IReadOnlyList<JsonElement> PackageChannels, IReadOnlyList<JsonElement> Endpoints)
    {
        public override string ToString() =>
            $"MediaLive channels: {string.Join(", ", MediaLiveChannels)}; inputs: {Inputs.Count}; MediaPackage channels: {PackageChannels.Count}; endpoints: {Endpoints.Count}";
    }

    /// <summary>What the emulator holds for one session (its resources are named after the live id).</summary>
    public static async Task<SessionResources> SessionResourcesAsync(MotoServer moto, string liveId)
    {
        using var state = await moto.GetStateAsync();
        var root = state.RootElement;
        List<JsonElement> Models(string service, string model, string property, string value) =>
            root.TryGetProperty(service, out var s) && s.TryGetProperty(model, out var m)
                ? [.. m.EnumerateArray().Where(e => e.TryGetProperty(property, out var p) && (p.GetString() ?? string.Empty).Contains(value, StringComparison.Ordinal)).Select(e => e.Clone())]
                : [];
        var inputs = Models("medialive", "Input", "name", liveId).Where(i => !i.TryGetProperty("state", out var s) || s.GetString() is not ("DELETING" or "DELETED")).ToList();
        return new SessionResources(
            [.. Models("medialive", "Channel", "name", liveId).Select(c => new MediaLiveChannelState(c.GetProperty("id").GetString()!, c.GetProperty("state").GetString()!, c.GetProperty("arn").GetString()!))],
            inputs,
            Models("mediapackage", "Channel", "channel_id", liveId),
            Models("mediapackage", "OriginEndpoint", "id", liveId));
    }

    /// <summary>
    /// Which of the resources seen earlier the emulator still serves, asked through its API (data.json keeps every
    /// instance ever created, deleted or not). The emulator routes on the credential scope and does not check
    /// signatures, so a scope-only Authorization header is enough to address MediaLive or MediaPackage.
    /// </summary>
    public static async Task<List<string>> LiveResourcesAsync(MotoServer moto, SessionResources seen)
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

    /// <summary>Creates a resource on the emulator directly (as another process, or a lost creation, would have), answering its JSON.</summary>
    public static async Task<JsonElement> MotoPostAsync(Uri serviceUrl, string service, string path, object body)
    {
        using var http = new HttpClient { BaseAddress = serviceUrl };
        using var request = new HttpRequestMessage(HttpMethod.Post, path.TrimStart('/')) { Content = JsonContent.Create(body) };
        request.Headers.TryAddWithoutValidation(
            "Authorization", $"AWS4-HMAC-SHA256 Credential={MotoServer.AccessKey}/20260101/{MotoServer.Region}/{service}/aws4_request, SignedHeaders=host, Signature=0");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
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

    public static async Task<SessionResources> WaitForResourcesAsync(MotoServer moto, string liveId)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var resources = await SessionResourcesAsync(moto, liveId);
            if (resources.MediaLiveChannels.Count > 0 || watch.Elapsed > TimeSpan.FromSeconds(45))
            {
                return resources;
            }

            await Task.Delay(250);
        }
    }

    public static async Task<JsonElement> WaitForStateAsync(ApiClient api, string mentorId, string liveId, string token, string state)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var last = string.Empty;
        while (watch.Elapsed < TimeSpan.FromSeconds(45))
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

    /// <summary>
    /// What EventBridge delivers to the queue for a MediaLive channel alert (the documented event shape: detail-type
    /// "MediaLive Channel Alert", detail.alarm_state SET or CLEARED); moto's MediaLive raises none itself.
    /// </summary>
    public static async Task SendChannelAlertAsync(Uri moto, string queueUrl, string channelArn, string alertType, bool set, DateTimeOffset time)
    {
        var alert = new Dictionary<string, object>
        {
            ["version"] = "0",
            ["id"] = Guid.NewGuid().ToString(),
            ["detail-type"] = "MediaLive Channel Alert",
            ["source"] = "aws.medialive",
            ["account"] = "123456789012",
            ["time"] = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["region"] = MotoServer.Region,
            ["resources"] = new[] { channelArn },
            ["detail"] = new Dictionary<string, string>
            {
                ["alarm_state"] = set ? "SET" : "CLEARED",
                ["alarm_id"] = Convert.ToHexString(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(channelArn + alertType))).ToLowerInvariant(),
                ["alert_type"] = alertType,
                ["pipeline"] = "0",
                ["channel_arn"] = channelArn,
                ["message"] = set ? "Waiting for RTMP input" : "Input is present",
            },
        };
        using var sqs = new AmazonSQSClient(Credentials, new AmazonSQSConfig { ServiceURL = moto.ToString(), AuthenticationRegion = MotoServer.Region });
        await sqs.SendMessageAsync(queueUrl, JsonSerializer.Serialize(alert));
    }

    /// <summary>The session's MediaLive channel as the emulator holds it (its ARN is what alerts name).</summary>
    public static async Task<MediaLiveChannelState> ChannelAsync(MotoServer moto, string liveId) =>
        Assert.Single((await SessionResourcesAsync(moto, liveId)).MediaLiveChannels);
}
