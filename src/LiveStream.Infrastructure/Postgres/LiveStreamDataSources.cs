using Npgsql;

namespace LiveStream.Infrastructure.Postgres;

/// <summary>
/// The application's two PostgreSQL entry points: the primary for writes and reads that must see them,
/// and a read connection (a replica in production) for reads that tolerate lag. Without a replica
/// configured both are the primary.
/// </summary>
public sealed class LiveStreamDataSources : IAsyncDisposable
{
    public LiveStreamDataSources(NpgsqlDataSource primary, NpgsqlDataSource? read = null)
    {
        Primary = primary;
        Read = read ?? primary;
    }

    public NpgsqlDataSource Primary { get; }

    public NpgsqlDataSource Read { get; }

    public async ValueTask DisposeAsync()
    {
        if (!ReferenceEquals(Read, Primary))
        {
            await Read.DisposeAsync();
        }

        await Primary.DisposeAsync();
    }
}
