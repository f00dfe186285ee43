using LiveStream.Abstractions.Mentees;

namespace LiveStream.Infrastructure.Notifications;

/// <summary>
/// Keeps the push registry (<c>push_devices</c>) and the provider's handles in step with the devices mentees
/// register. The mentee grain calls it before writing its own state, so a retried registration converges.
/// </summary>
public sealed class PushDeviceRegistry(NotificationStore store, IPushProvider provider)
{
    public async Task RegisterAsync(string menteeId, Device device, CancellationToken cancellationToken)
    {
        var (_, existing) = await store.FindDeviceAsync(menteeId, device.DeviceId, cancellationToken);
        var handle = await provider.RegisterAsync(menteeId, device.DeviceId, device.Platform, device.Token, existing, cancellationToken);
        await store.UpsertDeviceAsync(menteeId, device.DeviceId, device.Platform, device.Token, handle, cancellationToken);
    }
}
