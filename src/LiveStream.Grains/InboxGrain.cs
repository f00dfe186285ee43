using System.Collections.Immutable;
using System.Globalization;
using LiveStream.Abstractions;
using LiveStream.Abstractions.Notifications;
using LiveStream.Infrastructure.Notifications;

namespace LiveStream.Grains;

/// <summary>
/// One user's inbox (a mentee's or a mentor's). The fan-out's chunks and a session's notices to its mentor are written
/// straight into the notifications table; this grain only reads it, so it holds no state.
/// </summary>
public sealed class InboxGrain(NotificationStore store) : Grain, IInboxGrain
{
    public async Task<Page<Notification>> ListAsync(string? after, int limit)
    {
        limit = Math.Clamp(limit, 1, Limits.MaxPageSize);
        var afterId = 0L;
        if (after is not null && (!long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out afterId) || afterId < 0))
        {
            throw DomainException.Invalid("after", "'after' is not a notification cursor.");
        }

        // One extra row tells whether another page follows.
        var rows = await store.ListAsync(this.GetPrimaryKeyString(), afterId, limit + 1, CancellationToken.None);
        var items = rows.Take(limit).ToImmutableArray();
        var next = rows.Count > limit ? items[^1].Id.ToString(CultureInfo.InvariantCulture) : null;
        return new Page<Notification>(items, next);
    }
}
