using System.Globalization;
using Microsoft.Extensions.Logging;
using LiveStream.Infrastructure.Postgres;
using LiveStream.Infrastructure.Telemetry;
using Npgsql;
using NpgsqlTypes;

namespace LiveStream.Infrastructure.Streaming;

/// <summary>Names, partitioning and lease rules shared by both backends.</summary>
internal sealed record StreamQueueSettings(string Prefix, int PartitionCount, TimeSpan VisibilityTimeout, int MaxAttempts)
{
    public string PartitionName(int partition)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(partition, PartitionCount);
        return QueueNames.Partition(Prefix, partition);
    }

    public string DeadLetterName => QueueNames.DeadLetter(Prefix);
}

/// <summary>
/// The PostgreSQL table queue (schema in <c>sql/0020_stream_queue.sql</c>). Each statement is a single
/// auto-committed round trip: the lease is the row's <c>visible_at</c>/<c>lease_token</c>, not an open
/// transaction, so a receiver that dies holds nothing but a lease that runs out.
/// </summary>
internal sealed partial class PostgresStreamQueue(
    NpgsqlDataSource dataSource,
    bool ownsDataSource,
    StreamQueueSettings settings,
    ILogger<PostgresStreamQueue> logger,
    DatabaseCircuit? circuit = null) : IStreamQueue
{
    // SKIP LOCKED lets several receivers (or a rebalancing overlap) share a partition without blocking or
    // double-leasing. Rows out of attempts are moved to the dead-letter table in the same statement, so a
    // message is never both delivered and dead-lettered. Data-modifying CTEs always run to completion, even
    // the INSERT nobody selects from.
    private const string ReceiveSql = """
        WITH candidates AS (
            SELECT id, attempts
            FROM stream_queue_messages
            WHERE queue_name = @queue AND visible_at <= now()
            ORDER BY id
            LIMIT @limit
            FOR UPDATE SKIP LOCKED
        ),
        dead AS (
            DELETE FROM stream_queue_messages m
            USING candidates c
            WHERE m.id = c.id AND c.attempts >= @max_attempts
            RETURNING m.id, m.queue_name, m.payload, m.enqueued_at, m.attempts
        ),
        moved AS (
            INSERT INTO stream_queue_dead_letters (id, queue_name, payload, enqueued_at, attempts)
            SELECT id, queue_name, payload, enqueued_at, attempts FROM dead
            RETURNING id
        ),
        leased AS (
            UPDATE stream_queue_messages m
            SET attempts = m.attempts + 1,
                visible_at = now() + @visibility,
                lease_token = gen_random_uuid()
            FROM candidates c
            WHERE m.id = c.id AND c.attempts < @max_attempts
            RETURNING m.id, m.lease_token, m.payload, m.attempts
        )
        SELECT id, lease_token, payload, attempts, false AS dead FROM leased
        UNION ALL
        SELECT id, NULL, NULL, attempts, true FROM moved JOIN dead USING (id)
        ORDER BY id
        """;

    private const string EnqueueSql = """
        INSERT INTO stream_queue_messages (queue_name, payload)
        SELECT @queue, u.payload
        FROM unnest(@payloads) WITH ORDINALITY AS u(payload, n)
        ORDER BY u.n
        """;

    // Every lease-bound statement matches (id, lease_token) pairs: a receiver whose lease lapsed and was
    // taken over cannot delete, release or extend the new owner's lease.
    private const string AcknowledgeSql = """
        DELETE FROM stream_queue_messages m
        USING unnest(@ids, @tokens) AS a(id, token)
        WHERE m.id = a.id AND m.lease_token = a.token
        """;

    private const string ReleaseSql = """
        UPDATE stream_queue_messages
        SET visible_at = now() + @delay, lease_token = NULL
        WHERE id = @id AND lease_token = @token
        """;

    private const string ExtendSql = """
        UPDATE stream_queue_messages m
        SET visible_at = now() + @visibility
        FROM unnest(@ids, @tokens) AS a(id, token)
        WHERE m.id = a.id AND m.lease_token = a.token
        """;

    private const string PeekDeadLettersSql = """
        SELECT id, payload, attempts
        FROM stream_queue_dead_letters
        WHERE queue_name = ANY(@queues)
        ORDER BY dead_lettered_at, id
        LIMIT @limit
        """;

    // One index range scan per partition (stream_queue_messages_ready leads with queue_name): cheap while queues
    // are short, which is when they are healthy; a backlog of millions makes it a longer index scan every sample.
    private const string DepthSql = """
        SELECT q.name,
               count(m.id) FILTER (WHERE m.visible_at <= now()),
               count(m.id) FILTER (WHERE m.visible_at > now())
        FROM unnest(@queues) WITH ORDINALITY AS q(name, n)
        LEFT JOIN stream_queue_messages m ON m.queue_name = q.name
        GROUP BY q.name, q.n
        ORDER BY q.n
        """;

    private const string DeadLetterDepthSql = "SELECT count(*) FROM stream_queue_dead_letters WHERE queue_name = ANY(@queues)";

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        // The schema belongs to the migrator; this only proves the table is there, so a missing migration
        // fails the silo at start instead of at the first event.
        await using var command = dataSource.CreateCommand("SELECT 1 FROM stream_queue_messages LIMIT 0");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // A grain publishing an event awaits this inside its turn: with the database hung it must give up like grain
    // storage does (DatabaseCircuit.BoundAsync, counted against the circuit), and fail at once while the circuit is open.
    public Task EnqueueAsync(int partition, IReadOnlyList<byte[]> payloads, CancellationToken cancellationToken)
    {
        if (circuit is null)
        {
            return EnqueueUnboundedAsync(partition, payloads, cancellationToken);
        }

        return circuit.IsOpen ? Task.FromException(circuit.Unavailable()) : circuit.BoundAsync(EnqueueUnboundedAsync(partition, payloads, cancellationToken));
    }

    private async Task EnqueueUnboundedAsync(int partition, IReadOnlyList<byte[]> payloads, CancellationToken cancellationToken)
    {
        if (payloads.Count == 0)
        {
            return;
        }

        await using var command = dataSource.CreateCommand(EnqueueSql);
        command.Parameters.Add(new NpgsqlParameter<string>("queue", settings.PartitionName(partition)));
        command.Parameters.Add(new NpgsqlParameter("payloads", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = payloads.ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<LeasedMessage>> ReceiveAsync(int partition, int maxCount, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        var queue = settings.PartitionName(partition);
        await using var command = dataSource.CreateCommand(ReceiveSql);
        command.Parameters.Add(new NpgsqlParameter<string>("queue", queue));
        command.Parameters.Add(new NpgsqlParameter<int>("limit", maxCount));
        command.Parameters.Add(new NpgsqlParameter<int>("max_attempts", settings.MaxAttempts));
        command.Parameters.Add(new NpgsqlParameter<TimeSpan>("visibility", settings.VisibilityTimeout));

        var leased = new List<LeasedMessage>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetInt64(0);
            var attempts = reader.GetInt32(3);
            if (reader.GetBoolean(4))
            {
                LogDeadLettered(logger, id, queue, attempts);
                continue;
            }

            leased.Add(new LeasedMessage(
                id.ToString(CultureInfo.InvariantCulture),
                reader.GetGuid(1).ToString("D"),
                reader.GetFieldValue<byte[]>(2),
                attempts));
        }

        return leased;
    }

    public async Task AcknowledgeAsync(int partition, IReadOnlyList<LeasedMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return;
        }

        await using var command = dataSource.CreateCommand(AcknowledgeSql);
        AddLeaseArrays(command, messages);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task ReleaseAsync(int partition, LeasedMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ReleaseSql);
        command.Parameters.Add(new NpgsqlParameter<TimeSpan>("delay", delay < TimeSpan.Zero ? TimeSpan.Zero : delay));
        command.Parameters.Add(new NpgsqlParameter<long>("id", ParseId(message)));
        command.Parameters.Add(new NpgsqlParameter<Guid>("token", Guid.Parse(message.LeaseToken)));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task ExtendLeaseAsync(int partition, IReadOnlyList<LeasedMessage> messages, TimeSpan visibility, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return;
        }

        await using var command = dataSource.CreateCommand(ExtendSql);
        command.Parameters.Add(new NpgsqlParameter<TimeSpan>("visibility", visibility));
        AddLeaseArrays(command, messages);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<DeadLetteredMessage>> PeekDeadLettersAsync(int maxCount, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(PeekDeadLettersSql);
        var queues = Enumerable.Range(0, settings.PartitionCount).Select(settings.PartitionName).ToArray();
        command.Parameters.Add(new NpgsqlParameter<string[]>("queues", queues));
        command.Parameters.Add(new NpgsqlParameter<int>("limit", maxCount));
        var result = new List<DeadLetteredMessage>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new DeadLetteredMessage(
                reader.GetInt64(0).ToString(CultureInfo.InvariantCulture),
                reader.GetFieldValue<byte[]>(1),
                reader.GetInt32(2)));
        }

        return result;
    }

    public async Task<IReadOnlyList<QueueDepthSample>> GetDepthsAsync(CancellationToken cancellationToken)
    {
        const string Backend = "postgresql";
        var queues = Enumerable.Range(0, settings.PartitionCount).Select(settings.PartitionName).ToArray();
        var samples = new List<QueueDepthSample>(queues.Length * 2 + 1);
        await using (var command = dataSource.CreateCommand(DepthSql))
        {
            command.Parameters.Add(new NpgsqlParameter<string[]>("queues", queues));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var queue = reader.GetString(0);
                samples.Add(new QueueDepthSample(queue, QueueDepthStates.Ready, Backend, reader.GetInt64(1)));
                samples.Add(new QueueDepthSample(queue, QueueDepthStates.InFlight, Backend, reader.GetInt64(2)));
            }
        }

        await using (var command = dataSource.CreateCommand(DeadLetterDepthSql))
        {
            command.Parameters.Add(new NpgsqlParameter<string[]>("queues", queues));
            var dead = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
            samples.Add(new QueueDepthSample(settings.DeadLetterName, QueueDepthStates.DeadLetter, Backend, dead));
        }

        return samples;
    }

    public ValueTask DisposeAsync() => ownsDataSource ? dataSource.DisposeAsync() : ValueTask.CompletedTask;

    private static void AddLeaseArrays(NpgsqlCommand command, IReadOnlyList<LeasedMessage> messages)
    {
        command.Parameters.Add(new NpgsqlParameter<long[]>("ids", messages.Select(ParseId).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("tokens", messages.Select(m => Guid.Parse(m.LeaseToken)).ToArray()));
    }

    private static long ParseId(LeasedMessage message) => long.Parse(message.MessageId, CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream queue message {MessageId} of {Queue} moved to the dead-letter table after {Attempts} attempts")]
    private static partial void LogDeadLettered(ILogger logger, long messageId, string queue, int attempts);
}
