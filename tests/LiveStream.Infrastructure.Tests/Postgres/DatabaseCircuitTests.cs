using System.Diagnostics;
using LiveStream.Abstractions;
using LiveStream.Infrastructure.Postgres;
using Npgsql;

namespace LiveStream.Infrastructure.Tests.Postgres;

/// <summary>The database circuit: what opens it, how it fails calls while open, and how it closes by itself.</summary>
public sealed class DatabaseCircuitTests
{
    [Fact]
    public async Task Unreachable_database_opens_the_circuit_and_calls_fail_at_once_with_a_retry_hint()
    {
        // Arrange: a port nobody listens on, as after the database stopped.
        var unreachable = await UnreachableDatabaseErrorAsync();
        var circuit = new DatabaseCircuit(_ => Task.FromException(unreachable), TimeProvider.System);

        // Act
        var counted = circuit.RecordFailure(unreachable) & circuit.RecordFailure(unreachable);
        var watch = Stopwatch.StartNew();
        var refused = Assert.Throws<DatabaseUnavailableException>(circuit.ThrowIfOpen);

        // Assert
        Assert.True(counted);
        Assert.True(circuit.IsOpen);
        Assert.True(watch.Elapsed < TimeSpan.FromMilliseconds(50));
        Assert.InRange(refused.RetryAfterSeconds, 1, 2);
    }

    [Fact]
    public async Task An_operation_the_database_never_answers_is_refused_after_the_bound_and_opens_the_circuit_at_once()
    {
        // Arrange: a hung server (SIGSTOP, failover): the operation never completes; the probe hangs too.
        var circuit = new DatabaseCircuit(_ => new TaskCompletionSource().Task, TimeProvider.System);
        var hung = new TaskCompletionSource<int>().Task;

        // Act
        var watch = Stopwatch.StartNew();
        var refused = await Assert.ThrowsAsync<DatabaseUnavailableException>(() => circuit.BoundAsync(hung));
        var waited = watch.Elapsed;

        // Assert: one wait of the bound, then the next caller is refused without waiting.
        Assert.InRange(waited, DatabaseCircuit.OperationLimit - TimeSpan.FromMilliseconds(50), DatabaseCircuit.OperationLimit + TimeSpan.FromSeconds(1));
        Assert.True(refused.RetryAfterSeconds >= 1);
        Assert.True(circuit.IsOpen);
        Assert.Throws<DatabaseUnavailableException>(circuit.ThrowIfOpen);
    }

    [Fact]
    public async Task Open_circuit_closes_by_itself_once_the_probe_succeeds_and_not_before()
    {
        // Arrange
        var databaseUp = false;
        var probes = 0;
        var circuit = new DatabaseCircuit(
            _ =>
            {
                Interlocked.Increment(ref probes);
                return databaseUp ? Task.CompletedTask : Task.FromException(new NpgsqlException("down", new TimeoutException()));
            },
            TimeProvider.System);
        var failure = new NpgsqlException("Exception while connecting", new TimeoutException());
        circuit.RecordFailure(failure);
        circuit.RecordFailure(failure);

        // Act: still down for a few probes, then back.
        Assert.True(await EventuallyAsync(() => Volatile.Read(ref probes) >= 2));
        var openWhileDown = circuit.IsOpen;
        databaseUp = true;

        // Assert
        Assert.True(openWhileDown);
        Assert.True(await EventuallyAsync(() => !circuit.IsOpen));
        circuit.ThrowIfOpen();
    }

    [Fact]
    public void Errors_the_database_answered_with_do_not_count_against_it()
    {
        // Arrange
        var circuit = new DatabaseCircuit(_ => Task.CompletedTask, TimeProvider.System);
        var duplicate = new PostgresException("duplicate key", "ERROR", "ERROR", PostgresErrorCodes.UniqueViolation);
        var domain = DomainException.Conflict("already over");

        // Act
        var counted = new[] { duplicate, domain, duplicate, (Exception)domain }.Select(circuit.RecordFailure).ToList();

        // Assert
        Assert.All(counted, Assert.False);
        Assert.False(circuit.IsOpen);
        Assert.True(DatabaseCircuit.IsUnavailability(new PostgresException("shutting down", "FATAL", "FATAL", PostgresErrorCodes.AdminShutdown)));
        Assert.True(DatabaseCircuit.IsUnavailability(new PostgresException("read-only", "ERROR", "ERROR", PostgresErrorCodes.ReadOnlySqlTransaction)));
    }

    [Fact]
    public async Task Every_host_of_a_multi_host_connection_down_counts_as_unavailable()
    {
        // Arrange: primary and replica both unreachable, as mid-failover with the primary gone.
        var (first, second) = (LiveStream.Testing.FreePorts.Next(), LiveStream.Testing.FreePorts.Next());
        await using var connection = new NpgsqlConnection(
            $"Host=127.0.0.1:{first},127.0.0.1:{second};Username=postgres;Timeout=2;Pooling=false;Target Session Attributes=primary");

        // Act
        var failure = await Assert.ThrowsAsync<NpgsqlException>(() => connection.OpenAsync());

        // Assert
        Assert.True(DatabaseCircuit.IsUnavailability(failure), failure.ToString());
    }

    private static async Task<NpgsqlException> UnreachableDatabaseErrorAsync()
    {
        var port = LiveStream.Testing.FreePorts.Next();
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={port};Username=postgres;Timeout=2;Pooling=false");
        return await Assert.ThrowsAsync<NpgsqlException>(() => connection.OpenAsync());
    }

    private static async Task<bool> EventuallyAsync(Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }
}
