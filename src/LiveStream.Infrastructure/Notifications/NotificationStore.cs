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
    // One round trip: the follow check and the idempotent insert. When the row exists already (a redelivery)
    // it is returned too, so the pushes an earlier attempt did not finish are completed now. A mentee who no
    // longer follows gets no new row: the unfollow is checked at delivery time, on the primary.
    private const string RecordSql = """
        WITH inserted AS (
            INSERT INTO notifications (live_id, mentee_id, kind, mentor_id, title, body)
            SELECT $1, $2, $3, $4, $5, $6
            WHERE EXISTS (SELECT 1 FROM follows WHERE mentor_id = $4 AND mentee_id = $2)
            ON CONFLICT (live_id, mentee_id, kind) DO NOTHING
            RETURNING id
        )
        SELECT id FROM inserted
        UNION ALL
        SELECT id FROM notifications WHERE live_id = $1 AND mentee_id = $2 AND kind = $3
        LIMIT 1
        """;

    // Claims one push per registered device. The primary key (notification, device) makes the claim happen
    // once; a claim the provider has not confirmed yet ('pending') is handed out again so a crash between
    // claim and send is retried rather than lost.
    private const string ClaimSql = """
        WITH claimed AS (
            INSERT INTO push_deliveries (notification_id, device_id, provider, status, attempts, sent_at)
            SELECT $1, d.device_id, $3, CASE WHEN $4 THEN 'sent' ELSE 'pending' END, 1, CASE WHEN $4 THEN now() END
            FROM push_devices d
            WHERE d.mentee_id = $2
            ON CONFLICT (notification_id, device_id) DO NOTHING
            RETURNING device_id, status
        )
        SELECT c.device_id, d.endpoint_arn
        FROM claimed c JOIN push_devices d ON d.mentee_id = $2 AND d.device_id = c.device_id
        WHERE c.status = 'pending'
        UNION
        SELECT p.device_id, d.endpoint_arn
        FROM push_deliveries p JOIN push_devices d ON d.mentee_id = $2 AND d.device_id = p.device_id
        WHERE p.notification_id = $1 AND p.status = 'pending'
        """;

    // The inbox provider's whole delivery in one round trip: the idempotent insert, then one 'sent' push record
    // per registered device. Same keys as RecordSql and ClaimSql, so it is just as safe to repeat.
    private const string RecordToInboxSql = """
        WITH inserted AS (
            INSERT INTO notifications (live_id, mentee_id, kind, mentor_id, title, body)
            SELECT $1, $2, $3, $4, $5, $6
            WHERE EXISTS (SELECT 1 FROM follows WHERE mentor_id = $4 AND mentee_id = $2)
            ON CONFLICT (live_id, mentee_id, kind) DO NOTHING
            RETURNING id
        ),
        notification AS (
            SELECT id FROM inserted
            UNION ALL
            SELECT id FROM notifications WHERE live_id = $1 AND mentee_id = $2 AND kind = $3
            LIMIT 1
        ),
        pushed AS (
            INSERT INTO push_deliveries (notification_id, device_id, provider, status, attempts, sent_at)
            SELECT n.id, d.device_id, $7, 'sent', 1, now()
            FROM notification n JOIN push_devices d ON d.mentee_id = $2
            ON CONFLICT (notification_id, device_id) DO NOTHING
            RETURNING 1
        )
        SELECT id, (SELECT count(*) FROM pushed) FROM notification
        """;

    private const string ListSql = """
        SELECT id, live_id, mentor_id, kind, title, body, created_at
        FROM notifications
        WHERE mentee_id = $1 AND id > $2
        ORDER BY id
        LIMIT $3
        """;

    /// <summary>Records the notification once; null when the mentee does not follow the mentor (any more).</summary>
    public async Task<long?> RecordAsync(NotificationJob job, string title, string body, CancellationToken cancellationToken)
    {
        await using var command = dataSources.Primary.CreateCommand(RecordSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = job.Event.LiveId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = job.MenteeId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = job.Event.Kind.ToName() });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = job.Event.MentorId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = title });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = body });
        return await command.ExecuteScalarAsync(cancellationToken) is long id ? id : null;
    }

    /// <summary>
    /// For providers whose push is the recorded row (the local inbox): records the notification and its pushes
    /// in one statement. Null when the mentee does not follow the mentor (any more).
    /// </summary>
    public async Task<long?> RecordToInboxAsync(NotificationJob job, string title, string body, string provider, CancellationToken cancellationToken)
    {
        await using var command = dataSources.Primary.CreateCommand(RecordToInboxSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = job.Event.LiveId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = job.MenteeId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = job.Event.Kind.ToName() });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = job.Event.MentorId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = title });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = body });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = provider });
        return await command.ExecuteScalarAsync(cancellationToken) is long id ? id : null;
    }

    /// <summary>Claims the pushes of a notification; returns the devices that still need a provider call.</summary>
    public async Task<IReadOnlyList<PushTarget>> ClaimPushesAsync(
        long notificationId, string menteeId, string provider, bool deliveredByRecording, CancellationToken cancellationToken)
    {
        await using var command = dataSources.Primary.CreateCommand(ClaimSql);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = notificationId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = menteeId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = provider });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = deliveredByRecording });
        var targets = new List<PushTarget>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            targets.Add(new PushTarget(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
        }

        return targets;
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

    public async Task<IReadOnlyList<Notification>> ListAsync(string menteeId, long afterId, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSources.Primary.CreateCommand(ListSql);
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
}
