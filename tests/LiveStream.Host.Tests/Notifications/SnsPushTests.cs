using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using LiveStream.Testing;

namespace LiveStream.Host.Tests.Notifications;

/// <summary>
/// Acceptance: with <c>Notifications:Push:Provider=Sns</c> the real host registers devices as SNS platform
/// endpoints and pushes reach them, asserted on what the AWS emulator recorded (<c>/moto-api/data.json</c>).
/// </summary>
public sealed class SnsPushTests
{
    [Fact]
    public async Task Registered_devices_become_sns_endpoints_that_receive_each_push_once_and_dead_endpoints_are_dropped()
    {
        // Arrange
        await using var moto = await MotoServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync();
        var apns = await CreatePlatformApplicationAsync(moto, "APNS");
        var fcm = await CreatePlatformApplicationAsync(moto, "GCM");
        await using var host = await StartSnsHostAsync(moto, database, apns: apns, fcm: fcm);
        using var api = new ApiClient(host.CreateClient());
        var mentorId = Ids.New("mentor");
        var alive = Ids.New("mentee");
        var dead = Ids.New("mentee");
        var mentorToken = await api.CreateMentorAsync(mentorId, "engines");
        var aliveToken = await api.CreateMenteeAsync(alive);
        var deadToken = await api.CreateMenteeAsync(dead);
        await RegisterDeviceAsync(api, alive, aliveToken, "phone", "fcm", $"fcm-{alive}");
        await RegisterDeviceAsync(api, alive, aliveToken, "tablet", "apns", $"apns-{alive}");
        await RegisterDeviceAsync(api, dead, deadToken, "phone", "fcm", $"fcm-{dead}");
        await api.FollowAsync(alive, mentorId, aliveToken);
        await api.FollowAsync(dead, mentorId, deadToken);

        var phone = await FindEndpointAsync(moto, $"fcm-{alive}");
        var tablet = await FindEndpointAsync(moto, $"apns-{alive}");
        var deadPhone = await FindEndpointAsync(moto, $"fcm-{dead}");
        // APNs/FCM told SNS this token is gone: SNS disabled the endpoint.
        await SnsQueryAsync(moto, "SetEndpointAttributes", [
            new("EndpointArn", deadPhone!.Value.GetProperty("arn").GetString()!),
            new("Attributes.entry.1.key", "Enabled"),
            new("Attributes.entry.1.value", "false"),
        ]);

        // Act
        var liveId = await api.ScheduleAsync(mentorId, "engines", mentorToken, "Bernoulli numbers");
        await WaitAsync(async () => await database.ScalarAsync<long>(
            "SELECT count(*) FROM push_deliveries p JOIN notifications n ON n.id = p.notification_id WHERE n.live_id = @live AND p.status <> 'pending'",
            ("live", liveId)) == 3, "all three pushes were attempted");
        await WaitAsync(async () => await database.ScalarAsync<long>("SELECT count(*) FROM stream_queue_messages") == 0, "the queue drained");

        // Assert: registration created one endpoint per device, under its platform's application.
        Assert.NotNull(phone);
        Assert.NotNull(tablet);
        Assert.Contains(ApplicationPath(fcm), phone.Value.GetProperty("arn").GetString(), StringComparison.Ordinal);
        Assert.Contains(ApplicationPath(apns), tablet.Value.GetProperty("arn").GetString(), StringComparison.Ordinal);
        Assert.Equal($"{alive}/phone", phone.Value.GetProperty("custom_user_data").GetString());

        // Each live endpoint got exactly one push, carrying the session.
        foreach (var token in new[] { $"fcm-{alive}", $"apns-{alive}" })
        {
            var endpoint = await FindEndpointAsync(moto, token);
            var message = Assert.Single(endpoint!.Value.GetProperty("messages").EnumerateObject()).Value.GetString()!;
            using var structure = JsonDocument.Parse(message);
            Assert.Contains("Bernoulli numbers", structure.RootElement.GetProperty("GCM").GetString(), StringComparison.Ordinal);
            Assert.Contains(liveId, structure.RootElement.GetProperty("APNS").GetString(), StringComparison.Ordinal);
        }

        // The disabled endpoint was dropped, at SNS and from the registry; the inbox still has the notification.
        // (data.json keeps every instance ever created, so deletion is checked through the API.)
        var deadArn = deadPhone.Value.GetProperty("arn").GetString()!;
        Assert.Equal(HttpStatusCode.NotFound, await SnsStatusAsync(moto, "GetEndpointAttributes", [new("EndpointArn", deadArn)]));
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM push_devices WHERE mentee_id = @m", ("m", dead)));
        Assert.Equal("dropped", await database.ScalarAsync<string>(
            "SELECT p.status FROM push_deliveries p JOIN notifications n ON n.id = p.notification_id WHERE n.mentee_id = @m", ("m", dead)));
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM notifications WHERE mentee_id = @m AND live_id = @live", ("m", dead), ("live", liveId)));
    }

    [Fact]
    public async Task Re_registering_a_device_with_a_new_token_updates_its_sns_endpoint()
    {
        // Arrange
        await using var moto = await MotoServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync();
        var fcm = await CreatePlatformApplicationAsync(moto, "GCM");
        await using var host = await StartSnsHostAsync(moto, database, apns: fcm, fcm: fcm);
        using var api = new ApiClient(host.CreateClient());
        var menteeId = Ids.New("mentee");
        var token = await api.CreateMenteeAsync(menteeId);
        await RegisterDeviceAsync(api, menteeId, token, "phone", "fcm", "token-old");
        var before = await FindEndpointAsync(moto, "token-old");

        // Act
        await RegisterDeviceAsync(api, menteeId, token, "phone", "fcm", "token-new");

        // Assert
        var after = await FindEndpointAsync(moto, "token-new");
        Assert.NotNull(before);
        Assert.NotNull(after);
        Assert.Equal(before.Value.GetProperty("arn").GetString(), after.Value.GetProperty("arn").GetString());
        Assert.Null(await FindEndpointAsync(moto, "token-old"));
        Assert.Equal("true", (await SnsQueryAsync(moto, "GetEndpointAttributes", [new("EndpointArn", after.Value.GetProperty("arn").GetString()!)]))
            .Descendants().First(e => e.Name.LocalName == "entry" && e.Elements().Any(k => k.Name.LocalName == "key" && k.Value == "Enabled"))
            .Elements().Single(v => v.Name.LocalName == "value").Value.ToLowerInvariant());
    }

    [Fact]
    public async Task A_push_sent_again_after_a_crash_between_publish_and_record_carries_the_same_push_id()
    {
        // Arrange
        await using var moto = await MotoServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync();
        var fcm = await CreatePlatformApplicationAsync(moto, "GCM");
        await using var host = await StartSnsHostAsync(moto, database, apns: fcm, fcm: fcm);
        using var api = new ApiClient(host.CreateClient());
        var mentorId = Ids.New("mentor");
        var menteeId = Ids.New("mentee");
        var mentorToken = await api.CreateMentorAsync(mentorId, "engines");
        var menteeToken = await api.CreateMenteeAsync(menteeId);
        await RegisterDeviceAsync(api, menteeId, menteeToken, "phone", "fcm", $"fcm-{menteeId}");
        await api.FollowAsync(menteeId, mentorId, menteeToken);
        // The crash: the first attempt to record a push as sent fails after SNS accepted it (a sequence, unlike a
        // table, keeps counting when the failing statement rolls back).
        await database.ScalarAsync<object>("""
            CREATE SEQUENCE injected_crashes;
            CREATE FUNCTION crash_once_after_publish() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.status = 'sent' AND nextval('injected_crashes') = 1 THEN
                    RAISE EXCEPTION 'injected crash between the SNS publish and its record';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER crash_once_after_publish BEFORE UPDATE ON push_deliveries
                FOR EACH ROW EXECUTE FUNCTION crash_once_after_publish();
            """);

        // Act
        var liveId = await api.ScheduleAsync(mentorId, "engines", mentorToken, "Bernoulli numbers");
        await WaitAsync(async () => await database.ScalarAsync<string>(
            "SELECT p.status FROM push_deliveries p JOIN notifications n ON n.id = p.notification_id WHERE n.live_id = @live",
            ("live", liveId)) == "sent", "the push was recorded as sent");

        // Assert: the crash happened, the device got the push twice (at-least-once), both times with one id, and
        // the inbox has it once.
        Assert.True(await database.ScalarAsync<long>("SELECT last_value FROM injected_crashes") >= 2, "the crash was not injected");
        var endpoint = await FindEndpointAsync(moto, $"fcm-{menteeId}");
        var pushIds = endpoint!.Value.GetProperty("messages").EnumerateObject()
            .Select(message => PushIdOf(message.Value.GetString()!))
            .ToList();
        Assert.Equal(2, pushIds.Count);
        Assert.Single(pushIds.Distinct());
        Assert.Equal(global::LiveStream.Infrastructure.Notifications.PushMessageId.For(liveId, "scheduled", menteeId, "phone"), pushIds[0]);
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM notifications WHERE mentee_id = @m AND live_id = @live", ("m", menteeId), ("live", liveId)));
    }

    /// <summary>The <c>pushId</c> the app reads from an FCM push (SNS's JSON message, its GCM member).</summary>
    private static string PushIdOf(string snsMessage)
    {
        using var structure = JsonDocument.Parse(snsMessage);
        using var fcm = JsonDocument.Parse(structure.RootElement.GetProperty("GCM").GetString()!);
        return Find(fcm.RootElement) ?? throw new InvalidOperationException($"No pushId in {snsMessage}");

        static string? Find(JsonElement element) => element.ValueKind switch
        {
            JsonValueKind.Object => element.TryGetProperty("pushId", out var id)
                ? id.GetString()
                : element.EnumerateObject().Select(p => Find(p.Value)).FirstOrDefault(v => v is not null),
            _ => null,
        };
    }

    private static async Task RegisterDeviceAsync(ApiClient api, string menteeId, string token, string deviceId, string platform, string deviceToken)
    {
        using var response = await api.SendAsync(HttpMethod.Put, $"/mentee/{menteeId}/devices/{deviceId}", new { platform, token = deviceToken }, token);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"device registration: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The emulator's record of the endpoint holding <paramref name="deviceToken"/>, or null.</summary>
    private static async Task<JsonElement?> FindEndpointAsync(MotoServer moto, string deviceToken)
    {
        using var state = await moto.GetStateAsync();
        if (!state.RootElement.TryGetProperty("sns", out var sns) || !sns.TryGetProperty("PlatformEndpoint", out var endpoints))
        {
            return null;
        }

        foreach (var endpoint in endpoints.EnumerateArray())
        {
            // The Token attribute is the endpoint's current token (SetEndpointAttributes changes it); the emulator
            // keeps the token it was created with in a field of its own.
            var current = endpoint.TryGetProperty("attributes", out var attributes) && attributes.TryGetProperty("Token", out var attribute)
                ? attribute.GetString()
                : endpoint.GetProperty("token").GetString();
            if (current == deviceToken)
            {
                return endpoint.Clone();
            }
        }

        return null;
    }

    /// <summary><c>arn:aws:sns:region:account:app/GCM/name</c> → <c>GCM/name</c>, which the endpoint ARNs of that application contain.</summary>
    private static string ApplicationPath(string applicationArn) => "/" + applicationArn[(applicationArn.IndexOf(":app/", StringComparison.Ordinal) + 5)..] + "/";

    // Operators create platform applications once per app; the test does it against the emulator directly.
    /// <summary>A host that pushes through SNS on the emulator to the given platform applications.</summary>
    private static Task<HostProcess> StartSnsHostAsync(MotoServer moto, TestDatabase database, string apns, string fcm) =>
        HostProcess.StartAsync(new HostProcessOptions(database.ConnectionString, HostProcess.NewSigningKey())
        {
            Settings = new Dictionary<string, string>(MotoServer.AwsSettings(moto.ServiceUrl))
            {
                ["Notifications:Push:Provider"] = "Sns",
                ["Notifications:Push:Sns:ApnsApplicationArn"] = apns,
                ["Notifications:Push:Sns:FcmApplicationArn"] = fcm,
            },
        });

    private static async Task<string> CreatePlatformApplicationAsync(MotoServer moto, string platform)
    {
        var result = await SnsQueryAsync(moto, "CreatePlatformApplication", [
            new("Name", $"livestream-{platform.ToLowerInvariant()}-{Guid.NewGuid():N}"),
            new("Platform", platform),
            new("Attributes.entry.1.key", "PlatformCredential"),
            new("Attributes.entry.1.value", "test-credential"),
        ]);
        return result.Descendants().Single(e => e.Name.LocalName == "PlatformApplicationArn").Value;
    }

    private static async Task<XDocument> SnsQueryAsync(MotoServer moto, string action, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        using var response = await SendSnsAsync(moto, action, parameters);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"SNS {action}: {(int)response.StatusCode} {body}");
        return XDocument.Parse(body);
    }

    private static async Task<HttpStatusCode> SnsStatusAsync(MotoServer moto, string action, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        using var response = await SendSnsAsync(moto, action, parameters);
        return response.StatusCode;
    }

    private static async Task<HttpResponseMessage> SendSnsAsync(MotoServer moto, string action, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, moto.ServiceUrl)
        {
            Content = new FormUrlEncodedContent([new("Action", action), new("Version", "2010-03-31"), .. parameters]),
        };
        // The emulator routes by the credential scope and does not check signatures.
        request.Headers.TryAddWithoutValidation("Authorization", $"AWS4-HMAC-SHA256 Credential={MotoServer.AccessKey}/20260101/{MotoServer.Region}/sns/aws4_request, SignedHeaders=host, Signature=0");
        return await http.SendAsync(request);
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(100);
        }
    }
}
