using System.Security.Cryptography;
using System.Text;

namespace LiveStream.Infrastructure.Notifications;

/// <summary>
/// The id of one push to one device, carried in the payload (<see cref="DataKey"/>). Pushes are at-least-once per
/// device: a crash between the provider's accept and our record of it sends the push again. Every attempt carries
/// the same id, derived only from what the push is about, so the app shows it once (docs/operations.md, "Push").
/// </summary>
public static class PushMessageId
{
    public const string DataKey = "pushId";

    /// <summary>32 hex digits of SHA-256 over (session, kind, mentee, device): the same for every retry, distinct otherwise.</summary>
    public static string For(string liveId, string kind, string menteeId, string deviceId)
    {
        // Unit separators keep ("a", "bc") and ("ab", "c") apart.
        var key = string.Join('\u001f', liveId, kind, menteeId, deviceId);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..32];
    }
}
