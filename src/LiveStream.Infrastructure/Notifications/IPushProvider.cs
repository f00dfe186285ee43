using LiveStream.Abstractions.Mentees;

namespace LiveStream.Infrastructure.Notifications;

/// <summary>What a device is shown.</summary>
public sealed record PushContent(string Title, string Body, IReadOnlyDictionary<string, string> Data);

/// <summary>A device a push was claimed for; <see cref="EndpointArn"/> is the provider's handle.</summary>
public sealed record PushTarget(string DeviceId, string? EndpointArn);

/// <summary>A mentee's recorded notification (the inbox row's id).</summary>
public sealed record RecordedNotification(long Id, string MenteeId);

/// <summary>A push claimed for one device of one notification, not confirmed by the provider yet.</summary>
public sealed record PushClaim(long NotificationId, string MenteeId, PushTarget Target);

public enum PushOutcome
{
    Sent,

    /// <summary>The provider reported the device as dead; it has been unregistered.</summary>
    Dropped,
}

/// <summary>A push provider: registers devices with the push service and sends to them.</summary>
public interface IPushProvider
{
    /// <summary>Stored with every delivery record (<c>inbox</c>, <c>sns</c>).</summary>
    string Name { get; }

    /// <summary>
    /// True when recording the delivery row is the push itself (the local inbox): the claim is then written as
    /// sent and <see cref="SendAsync"/> is never called.
    /// </summary>
    bool DeliversByRecording { get; }

    /// <summary>Creates or refreshes the device's handle at the push service; returns it (null when there is none).</summary>
    Task<string?> RegisterAsync(string menteeId, string deviceId, PushPlatform platform, string token, string? existingHandle, CancellationToken cancellationToken);

    Task<(PushOutcome Outcome, string? MessageId)> SendAsync(PushTarget target, PushContent content, CancellationToken cancellationToken);
}

/// <summary>The default provider: notifications are read from the inbox; nothing leaves the cluster.</summary>
public sealed class InboxPushProvider : IPushProvider
{
    public string Name => "inbox";

    public bool DeliversByRecording => true;

    public Task<string?> RegisterAsync(string menteeId, string deviceId, PushPlatform platform, string token, string? existingHandle, CancellationToken cancellationToken) =>
        Task.FromResult<string?>(null);

    public Task<(PushOutcome Outcome, string? MessageId)> SendAsync(PushTarget target, PushContent content, CancellationToken cancellationToken) =>
        Task.FromResult<(PushOutcome, string?)>((PushOutcome.Sent, null));
}
