using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace LiveStream.Infrastructure.Postgres;

/// <summary>
/// Grain storage behind the process's <see cref="DatabaseCircuit"/>: while the database is known to be down a
/// read or write fails at once (the grain turn is not held, so reads it can serve from memory go on), and a
/// provider failure that means "unavailable" reaches the caller as <see cref="LiveStream.Abstractions.DatabaseUnavailableException"/>.
/// A failed write leaves the grain's in-memory state as it was before the call only if the grain restores it;
/// our grains write before they answer, so the caller gets 503 and nothing is acknowledged.
/// </summary>
public sealed partial class CircuitBreakingGrainStorage(IGrainStorage inner, DatabaseCircuit circuit, ILogger<CircuitBreakingGrainStorage> logger) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        GuardAsync(() => inner.ReadStateAsync(stateName, grainId, grainState), "read", grainId);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        GuardAsync(() => inner.WriteStateAsync(stateName, grainId, grainState), "write", grainId);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        GuardAsync(() => inner.ClearStateAsync(stateName, grainId, grainState), "clear", grainId);

    private async Task GuardAsync(Func<Task> operation, string verb, GrainId grainId)
    {
        circuit.ThrowIfOpen();
        try
        {
            // Bounded here, not only by the command timeout: a grain turn waits on this, and every call queued
            // behind the turn (reads it could serve from memory included) waits with it.
            await circuit.BoundAsync(operation());
        }
        catch (LiveStream.Abstractions.DatabaseUnavailableException)
        {
            // Already counted by the bound.
            throw;
        }
        catch (Exception exception) when (circuit.RecordFailure(exception))
        {
            LogUnavailable(logger, exception, verb, grainId);
            throw circuit.Unavailable();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Grain storage {Verb} of {GrainId} failed: database unavailable")]
    private static partial void LogUnavailable(ILogger logger, Exception exception, string verb, GrainId grainId);
}

/// <summary>
/// Every grain call on a silo: a database unavailability escaping it (from grain storage or our stores) feeds
/// the circuit and leaves the silo as <see cref="LiveStream.Abstractions.DatabaseUnavailableException"/>, which
/// the front end maps to 503 + Retry-After; provider exception types never cross the wire.
/// </summary>
public sealed partial class DatabaseFaultCallFilter(DatabaseCircuit circuit, ILogger<DatabaseFaultCallFilter> logger) : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (Exception exception) when (exception is not LiveStream.Abstractions.DatabaseUnavailableException && circuit.RecordFailure(exception))
        {
            LogUnavailable(logger, exception, context.InterfaceName, context.MethodName);
            throw circuit.Unavailable();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Interface}.{Method} failed: database unavailable")]
    private static partial void LogUnavailable(ILogger logger, Exception exception, string @interface, string method);
}
