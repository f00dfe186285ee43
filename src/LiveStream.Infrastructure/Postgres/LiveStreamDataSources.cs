using Npgsql;

namespace LiveStream.Infrastructure.Postgres;

/// <summary>
/// The application's two PostgreSQL entry points: the primary for writes and reads that must see them,
/// and a read connection (a replica in production) for reads that tolerate lag. Without a replica
/// configured both are the primary.
/// </summary>
/// <remarks>
/// Taking <see cref="Primary"/> while the <see cref="Circuit"/> is open throws
/// <see cref="LiveStream.Abstractions.DatabaseUnavailableException"/>, so every store fails fast during an outage
/// without each method checking. A separate replica stays usable while the primary's circuit is open: lag-tolerant
/// reads keep being served through a primary failover.
/// </remarks>
public sealed class LiveStreamDataSources : IAsyncDisposable
{
    private readonly NpgsqlDataSource _primary;
    private readonly NpgsqlDataSource _read;

    public LiveStreamDataSources(NpgsqlDataSource primary, NpgsqlDataSource? read = null, TimeProvider? clock = null)
    {
        _primary = primary;
        _read = read ?? primary;
        Circuit = new DatabaseCircuit(ProbePrimaryAsync, clock ?? TimeProvider.System, DropPooledConnections);
    }

    public DatabaseCircuit Circuit { get; }

    public NpgsqlDataSource Primary
    {
        get
        {
            Circuit.ThrowIfOpen();
            return _primary;
        }
    }

    public NpgsqlDataSource Read
    {
        get
        {
            if (ReferenceEquals(_read, _primary))
            {
                Circuit.ThrowIfOpen();
            }

            return _read;
        }
    }

    public bool HasReplica => !ReferenceEquals(_read, _primary);

    /// <summary>
    /// On an outage, drops the idle connections of this process's pools: ours, and those Orleans opens from
    /// connection strings (clustering, grain storage, reminders, the queue); connections in use are dropped when
    /// returned. Npgsql clears only the pool whose connection broke, so a pool nobody used during the outage (grain
    /// storage, whose writes the open circuit refused) would hand out connections the restarted server has closed,
    /// each failing one request. New connections open in milliseconds.
    /// </summary>
    private void DropPooledConnections()
    {
        _primary.Clear();
        NpgsqlConnection.ClearAllPools();
    }

    private async Task ProbePrimaryAsync(CancellationToken cancellationToken)
    {
        await using var command = _primary.CreateCommand("SELECT 1");
        await command.ExecuteScalarAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (HasReplica)
        {
            await _read.DisposeAsync();
        }

        await _primary.DisposeAsync();
    }
}
