using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LiveStream.Infrastructure.Aws;

/// <summary>
/// A visible push notification rendered for every platform SNS may deliver to. SNS picks the member matching the
/// endpoint's platform application (APNS, APNS_SANDBOX, GCM) and falls back to <c>default</c>.
/// </summary>
/// <param name="Title">Notification title.</param>
/// <param name="Body">Notification text; also the <c>default</c> message.</param>
public sealed record SnsPushMessage(string Title, string Body)
{
    // The payload is an API parameter, never HTML: keep quotes and non-ASCII text as they are instead of \uXXXX
    // escapes, which would eat into APNs' 4 KB payload limit.
    private static readonly JsonSerializerOptions PayloadJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Custom key/values the app reads (e.g. liveId); FCM only carries string values.</summary>
    public IReadOnlyDictionary<string, string>? Data { get; init; }

    /// <summary>
    /// The value of SNS's Message parameter for MessageStructure=json: a JSON object whose platform members are
    /// themselves JSON documents encoded as strings.
    /// </summary>
    public string ToMessageJson()
    {
        var apns = ApnsPayload().ToJsonString(PayloadJson);
        return new JsonObject
        {
            ["default"] = Body,
            ["APNS"] = apns,
            ["APNS_SANDBOX"] = apns,
            ["GCM"] = FcmPayload().ToJsonString(PayloadJson),
        }.ToJsonString(PayloadJson);
    }

    private JsonObject ApnsPayload()
    {
        var payload = new JsonObject
        {
            ["aps"] = new JsonObject
            {
                ["alert"] = new JsonObject { ["title"] = Title, ["body"] = Body },
                ["sound"] = "default",
            },
        };

        // APNs delivers custom keys beside "aps".
        foreach (var (key, value) in Data ?? new Dictionary<string, string>())
        {
            if (key != "aps")
            {
                payload[key] = value;
            }
        }

        return payload;
    }

    // The FCM HTTP v1 shape, which SNS forwards as is when the member is named fcmV1Message.
    private JsonObject FcmPayload()
    {
        var message = new JsonObject
        {
            ["notification"] = new JsonObject { ["title"] = Title, ["body"] = Body },
        };
        if (Data is { Count: > 0 })
        {
            var data = new JsonObject();
            foreach (var (key, value) in Data)
            {
                data[key] = value;
            }

            message["data"] = data;
        }

        return new JsonObject { ["fcmV1Message"] = new JsonObject { ["message"] = message } };
    }
}
