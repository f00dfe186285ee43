using LiveStream.Abstractions.Mentees;
using LiveStream.Abstractions.Notifications;
using LiveStream.Infrastructure.Postgres;
using Npgsql;

namespace LiveStream.Infrastructure.Notifications;

/// <summary>
/// The notification tables (<c>sql/0030_notifications.sql</c>): inboxes, push claims and the push device registry.
/// Every write is keyed so that doing it twice (a redelivered job) changes nothing.
/// </summary>
public sealed class NotificationStore(LiveStreamDataSources dataSources)
{
    // The mentees of a chunk who still follow the mentor: the unfollow is checked at delivery time, on the
    // primary, so a mentee who unfollowed before the fan-out reached them gets nothing.
    private const string FollowingCte = """
        following AS (
            SELECT f.mentee_id
            FROM unnest($2::varchar[]) AS u(mentee_id)
            JOIN follows f ON f.mentor_id = $4 AND f.mentee_id = u.mentee_id
        )
        """;

    // The chunk's inbox rows, idempotently: ON CONFLICT on (live, mentee, kind) makes a redelivered chunk insert
    // nothing new. Rows an earlier delivery already wrote are read back too (the statement's snapshot does not
    // show its own inserts, so the UNION ALL holds each mentee once), so pushes an earlier attempt left
    // unfinished are completed now. Inserting in mentee order keeps lock order stable between concurrent
    // deliveries of overlapping chunks.
    private const string NotifiedCte = """
        inserted AS (
            INSERT INTO notifications (live_id, mentee_id, kind, mentor_id, title, body)
            SELECT $1, mentee_id, $3, $4, $5, $6 FROM following ORDER BY mentee_id
            ON CONFLICT (live_id, mentee_id, kind) DO NOTHING
            RETURNING id, mentee_id
        ),
        notified AS (
            SELECT id, mentee_id FROM inserted
            UNION ALL
            SELECT n.id, n.mentee_id
            FROM notifications n JOIN following f ON f.mentee_id = n.mentee_id
            WHERE n.live_id = $1 AND n.kind = $3
        )
        """;

    private const string RecordSql = "WITH " + FollowingCte + ", " + NotifiedCte + " SELECT id, mentee_id FROM notified";

    // The inbox provider's whole delivery of a chunk in one round trip: the inbox rows, then one 'sent' push
    // record per registered device of each notified mentee, keyed (notification, device) so a repeat adds none.
    private const string RecordToInboxSql = "WITH " + FollowingCte + ", " + NotifiedCte + """
        ,
        pushed AS (
            INSERT INTO push_deliveries (notification_id, device_id, provider, status, attempts, sent_at)
            SELECT n.id, d.device_id, $7, 'sent', 1, now()
            FROM notified n JOIN push_devices d ON d.mentee_id = n.mentee_id
            ORDER BY n.id, d.device_id
            ON CONFLICT (notification_id, device_id) DO NOTHING
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM notified), (SELECT count(*) FROM pushed)
        """;

    // Claims one push per registered device of each notification. The primary key (notification, device) makes
    // the claim happen once; a claim the provider has not confirmed yet ('pending') is handed out again so a
    // crash between claim and send is retried rather than lost.
    private const string ClaimSql = """
        WITH targets AS (
            SELECT u.notification_id, u.mentee_id FROM unnest($1::bigint[], $2::varchar[]) AS u(notification_id, mentee_id)
        ),
        claimed AS (
            INSERT INTO push_deliveries (notification_id, device_id, provider, status, attempts)
            SELECT t.notification_id, d.device_id, $3, 'pending', 1
            FROM targets t JOIN push_devices d ON d.mentee_id = t.mentee_id
            ORDER BY t.notification_id, d.device_id
            ON CONFLICT (notification_id, device_id) DO NOTHING
            RETURNING notification_id, device_id
        ),
        pending AS (
            SELECT notification_id, device_id FROM claimed
            UNION
            SELECT p.notification_id, p.device_id
            FROM push_deliveries p JOIN targets t ON t.notification_id = p.notification_id
            WHERE p.status = 'pending'
        )
        SELECT p.notification_id, t.mentee_id, p.device_id, d.endpoint_arn
        FROM pending p
        JOIN targets t ON t.notification_id = p.notification_id
        JOIN push_devices d ON d.mentee_id = t.mentee_id AND d.device_id = p.device_id
        ORDER BY p.notification_id, p.device_id
        """;

    private const string ListSql = """
        SELECT id, live_id, mentor_id, kind, title, body, created_at
        FROM notifications
        WHERE mentee_id = $1 AND id > $2
        ORDER BY id
        LIMIT $3
        """;

    /// <summary>
    /// Records the chunk's notifications once; returns the notification of each mentee who still follows the
    /// mentor (mentees who no longer follow get none and are left out).
    /// </summary>
    public async Task<IReadOnlyList<RecordedNotification>> RecordAsync(NotificationBatch batch, string title, string body, CancellationToken cancellationToken)
    {
        await using var command = dataSources.Primary.CreateCommand(RecordSql);
        AddBatchParameters(command, batch, title, body);
        var recorded = new List<RecordedNotification>(batch.MenteeIds.Length);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            recorded.Add(new RecordedNotification(reader.GetInt64(0), reader.GetString(1)));
        }

        return recorded;
    }

    /// <summary>
    /// For providers whose push is the recorded row (the local inbox): records the chunk's notifications and
    /// their pushes in one statement. Returns how many mentees are notified (still following) and how many push
    /// records this call added.
    /// </summary>
    public async Task<(long Notified, long Pushed)> RecordToInboxAsync(NotificationBatch batch, string title, string body, string provider, CancellationToken cancellationToken)
    {
        await using var command = dataSources.Primary.CreateCommand(RecordToInboxSql);
        AddBatchParameters(command, batch, title, body);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = provider });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>Claims the pushes of the notifications; returns the devices that still need a provider call.</summary>
    public async Task<IReadOnlyList<PushClaim>> ClaimPushesAsync(IReadOnlyList<RecordedNotification> notifications, string provider, CancellationToken cancellationToken)
    {
        if (notifications.Count == 0)
        {
            return [];
        }

        await using var command = dataSources.Primary.CreateCommand(ClaimSql);
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. notifications.Select(n => n.Id)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. notifications.Select(n => n.MenteeId)] });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = provider });
        var claims = new List<PushClaim>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            claims.Add(new PushClaim(
                reader.GetInt64(0), reader.GetString(1), new PushTarget(reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3))));
        }

        return claims;
    }

    public async Task CompletePushAsync(long notificationId, string deviceId, PushOutcome outcome, string? messageId, CancellationToken cancellationToken)
    {
        await using var command = dataSources.Primary.CreateCommand("""
            UPDATE push_deliveries
            SET status = $3, provider_message_id = $4, sent_at = CASE WHEN $3 = 'sent' THEN now() END
            WHERE notification_id = $1 AND device_id = $2 AND status = 'pending'
            """);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = notificationId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = deviceId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = outcome == PushOutcome.Sent ? "sent" : "dropped" });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = messageId, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>One inbox row for one user (the session's mentor), not a fan-out; recording it twice changes nothing.</summary>
    public async Task RecordForUserAsync(SessionEvent sessionEvent, string userId, string title, string body, CancellationToken cancellationToken)
    {
        await using var command = dataSources.Primary.CreateCommand("""
            INSERT INTO notifications (live_id, mentee_id, kind, mentor_id, title, body)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (live_id, mentee_id, kind) DO NOTHING
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sessionEvent.LiveId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = userId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sessionEvent.Kind.ToName() });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sessionEvent.MentorId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = title });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = body });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<Notification>> ListAsync(string menteeId, long afterId, int limit, CancellationToken cancellationToken)
    {
        // The inbox tolerates replica lag (bounded staleness, docs/operations.md): a notification appears a moment later.
        await using var command = dataSources.Read.CreateCommand(ListSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = menteeId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = afterId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var items = new List<Notification>(limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new Notification(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), NotificationKinds.Parse(reader.GetString(3)),
                reader.GetString(4), reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6)));
        }

        return items;
    }

    /// <summary>The provider handle of a registered device, or null when it is not registered.</summary>
    public async Task<(bool Registered, string? EndpointArn)> FindDeviceAsync(string menteeId, string deviceId, CancellationToken cancellationToken)
    {
        await using var command = dataSources.Primary.CreateCommand("SELECT endpoint_arn FROM push_devices WHERE mentee_id = $1 AND device_id = $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = menteeId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = deviceId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? (true, reader.IsDBNull(0) ? null : reader.GetString(0))
            : (false, null);
    }

    public async Task UpsertDeviceAsync(string menteeId, string deviceId, PushPlatform platform, string token, string? endpointArn, CancellationToken cancellationToken)
    {
        await using var command = dataSources.Primary.CreateCommand("""
            INSERT INTO push_devices (mentee_id, device_id, platform, token, endpoint_arn)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (mentee_id, device_id) DO UPDATE
            SET platform = EXCLUDED.platform, token = EXCLUDED.token, endpoint_arn = EXCLUDED.endpoint_arn, updated_at = now()
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = menteeId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = deviceId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = platform == PushPlatform.Apns ? "apns" : "fcm" });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = token });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = endpointArn, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Forgets a device the provider reported dead (only while it still has that handle).</summary>
    public async Task RemoveDeviceAsync(string menteeId, string deviceId, string? endpointArn, CancellationToken cancellationToken)
    {
        await using var command = dataSources.Primary.CreateCommand(
            "DELETE FROM push_devices WHERE mentee_id = $1 AND device_id = $2 AND endpoint_arn IS NOT DISTINCT FROM $3");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = menteeId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = deviceId });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = endpointArn, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void AddBatchParameters(NpgsqlCommand command, NotificationBatch batch, string title, string body)
    {
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = batch.Event.LiveId });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. batch.MenteeIds] });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = batch.Event.Kind.ToName() });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = batch.Event.MentorId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = title });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = body });
    }
}
