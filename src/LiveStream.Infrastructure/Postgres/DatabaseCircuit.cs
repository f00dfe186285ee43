using LiveStream.Abstractions;
using Npgsql;

namespace LiveStream.Infrastructure.Postgres;

/// <summary>
/// One process's view of whether the primary database can take work. <see cref="FailureThreshold"/>
/// unavailability failures within <see cref="FailureWindow"/> open it: every database operation of this process
/// then fails in microseconds with <see cref="DatabaseUnavailableException"/> instead of queueing on a dead or
/// hung server (which would also hold grain turns, and so block reads served from memory). While open, one
/// cheap probe (<c>SELECT 1</c>) runs every <see cref="ProbeEvery"/>; the first that succeeds closes it, so service
/// resumes by itself within about that period of the database coming back. Requests are never used as probes.
/// </summary>
/// <param name="onUnavailable">
/// Runs (at most once per <see cref="FailureWindow"/>) when an unavailability is recorded: connections pooled before
/// it may be dead (a stopped or restarted server closed them), and each would otherwise fail one request after the
/// database is back, enough of them to open the circuit again.
/// </param>
public sealed class DatabaseCircuit(Func<CancellationToken, Task> probe, TimeProvider clock, Action? onUnavailable = null)
{
    public const int FailureThreshold = 2;

    public static readonly TimeSpan FailureWindow = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan ProbeEvery = TimeSpan.FromSeconds(1);

    /// <summary>A probe that takes longer than this counts as failed (a hung server accepts TCP but never answers).</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private int _failures;
    private long _firstFailureAt;
    private long _nextProbeAt;
    private long _lastNotifiedAt = long.MinValue;
    private bool _open;

    public bool IsOpen
    {
        get
        {
            lock (_gate)
            {
                return _open;
            }
        }
    }

    /// <summary>Throws <see cref="DatabaseUnavailableException"/> while the circuit is open.</summary>
    public void ThrowIfOpen()
    {
        if (IsOpen)
        {
            throw Unavailable();
        }
    }

    /// <summary>
    /// Counts <paramref name="exception"/> against the database when it is an unavailability and returns
    /// whether it was; anything else (a constraint, a bug, a domain rule) leaves the circuit alone.
    /// </summary>
    public bool RecordFailure(Exception exception)
    {
        if (!IsUnavailability(exception))
        {
            return false;
        }

        Record(failures: 1);
        return true;
    }

    private void Record(int failures)
    {
        var startProbing = false;
        var notify = false;
        lock (_gate)
        {
            var now = clock.GetTimestamp();
            if (_lastNotifiedAt == long.MinValue || clock.GetElapsedTime(_lastNotifiedAt, now) >= FailureWindow)
            {
                _lastNotifiedAt = now;
                notify = true;
            }

            if (_failures == 0 || clock.GetElapsedTime(_firstFailureAt, now) > FailureWindow)
            {
                _failures = 0;
                _firstFailureAt = now;
            }

            _failures += failures;
            if (!_open && _failures >= FailureThreshold)
            {
                _open = true;
                _nextProbeAt = now + ToTicks(ProbeEvery);
                startProbing = true;
            }
        }

        if (notify)
        {
            onUnavailable?.Invoke();
        }

        if (startProbing)
        {
            _ = Task.Run(ProbeUntilClosedAsync);
        }
    }

    /// <summary>
    /// How long a caller waits for one database operation before it is answered "unavailable". Npgsql's own command
    /// timeout does not bound a hung server (SIGSTOP, a failover in progress, a partition): on timeout it first
    /// sends PostgreSQL a cancel request over a new connection, synchronously, and that request waits on the same
    /// hung server for its connect, TLS/GSS negotiation and close (measured: 8 s and more, holding a thread-pool
    /// thread). The caller must not wait for that.
    /// </summary>
    public static readonly TimeSpan OperationLimit = TimeSpan.FromSeconds(1.5);

    /// <summary>
    /// <paramref name="operation"/>'s result, or <see cref="DatabaseUnavailableException"/> once it has run longer than
    /// <see cref="OperationLimit"/>, which opens this circuit at once: a server that has not answered one operation in
    /// that time (a healthy one answers in milliseconds) is hung, and waiting for a second such timeout before refusing
    /// would make everyone queued behind the first (a group commit's next batch, a grain's next call) wait twice. If
    /// the server was only slow, the next probe closes the circuit again within <see cref="ProbeEvery"/>. The abandoned
    /// operation finishes (or fails) on its own; nothing waits for it, and a write it still makes was never
    /// acknowledged, so a client retry with its idempotency key counts it once.
    /// </summary>
    public async Task<T> BoundAsync<T>(Task<T> operation)
    {
        await BoundAsync((Task)operation);
        return await operation;
    }

    /// <inheritdoc cref="BoundAsync{T}(Task{T})"/>
    public async Task BoundAsync(Task operation)
    {
        try
        {
            await operation.WaitAsync(OperationLimit);
        }
        catch (TimeoutException) when (!operation.IsCompleted)
        {
            _ = operation.ContinueWith(static abandoned => _ = abandoned.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            var unavailable = new DatabaseUnavailableException("The database did not answer in time; retry shortly.", 1);
            Record(failures: FailureThreshold);
            throw unavailable;
        }
    }

    public DatabaseUnavailableException Unavailable() => new("The database is unavailable; retry shortly.", RetryAfterSeconds);

    /// <summary>Whole seconds until the next probe could close the circuit, at least 1: what a client should wait.</summary>
    public int RetryAfterSeconds
    {
        get
        {
            lock (_gate)
            {
                if (!_open)
                {
                    return 1;
                }

                var remaining = clock.GetElapsedTime(clock.GetTimestamp(), _nextProbeAt);
                return Math.Max(1, (int)Math.Ceiling(remaining.TotalSeconds));
            }
        }
    }

    private async Task ProbeUntilClosedAsync()
    {
        while (true)
        {
            await Task.Delay(ProbeEvery, clock);
            try
            {
                using var timeout = new CancellationTokenSource(ProbeTimeout, clock);
                await probe(timeout.Token).WaitAsync(ProbeTimeout, clock);
                lock (_gate)
                {
                    _open = false;
                    _failures = 0;
                }

                return;
            }
            catch (Exception)
            {
                // Still down or hung: stay open and probe again.
                lock (_gate)
                {
                    _nextProbeAt = clock.GetTimestamp() + ToTicks(ProbeEvery);
                }
            }
        }
    }

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * clock.TimestampFrequency);

    /// <summary>
    /// Whether <paramref name="exception"/> (or one it wraps) means "the database could not do it now" rather
    /// than "the request or the code is wrong": any client-side Npgsql failure (connect, timeout, broken connection,
    /// no suitable host), a server shutting down or starting up, a read-only server (a replica not yet promoted),
    /// the circuit itself. Errors the server answered with otherwise (constraints, syntax) are bugs, not outages.
    /// </summary>
    public static bool IsUnavailability(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case DatabaseUnavailableException:
                    return true;
                case PostgresException postgres:
                    // The server answered: only its "cannot serve now" codes count.
                    return postgres.IsTransient
                        || postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                        || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal)
                        || postgres.SqlState == PostgresErrorCodes.ReadOnlySqlTransaction;
                case NpgsqlException:
                    // Raised by the client side itself: connect failures and timeouts, a broken connection, an
                    // exhausted pool, and with several hosts "Unable to connect to a suitable host" (an aggregate
                    // of each host's failure) or "No suitable host was found" (no primary among them).
                    return true;
                case AggregateException aggregate:
                    return aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsUnavailability);
            }
        }

        return false;
    }
}
