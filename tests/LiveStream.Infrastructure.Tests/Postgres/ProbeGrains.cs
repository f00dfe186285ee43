using System.Collections.Concurrent;
using Orleans;
using Orleans.Runtime;

namespace LiveStream.Infrastructure.Tests.Postgres;

// Small grains that exist only to drive the Orleans ADO.NET providers through a real silo.

/// <summary>What a probe grain saw: its persisted value, the provider's ETag and which activation answered.</summary>
[GenerateSerializer, Immutable]
public sealed record ProbeSnapshot(
    [property: Id(0)] string? Value,
    [property: Id(1)] string? ETag,
    [property: Id(2)] bool RecordExists,
    [property: Id(3)] Guid ActivationId);

[GenerateSerializer]
public sealed class ProbeState
{
    [Id(0)]
    public string? Value { get; set; }
}

public interface IStateProbeGrain : IGrainWithStringKey
{
    Task<ProbeSnapshot> WriteAsync(string value);

    Task<ProbeSnapshot> ReadAsync();

    Task<ProbeSnapshot> ClearAsync();

    Task DeactivateAsync();
}

/// <summary>Same operations, stored through the provider instance configured with DeleteStateOnClear.</summary>
public interface IDeletingStateProbeGrain : IGrainWithStringKey
{
    Task<ProbeSnapshot> WriteAsync(string value);

    Task<ProbeSnapshot> ClearAsync();
}

public abstract class StateProbeGrainBase(IPersistentState<ProbeState> state) : Grain
{
    // Not persisted: tells the test whether a call was served by a fresh activation.
    private readonly Guid _activationId = Guid.NewGuid();

    public async Task<ProbeSnapshot> WriteAsync(string value)
    {
        state.State.Value = value;
        await state.WriteStateAsync();
        return Snapshot();
    }

    public Task<ProbeSnapshot> ReadAsync() => Task.FromResult(Snapshot());

    public async Task<ProbeSnapshot> ClearAsync()
    {
        await state.ClearStateAsync();
        return Snapshot();
    }

    public Task DeactivateAsync()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    private ProbeSnapshot Snapshot() => new(state.State.Value, state.Etag, state.RecordExists, _activationId);
}

public sealed class StateProbeGrain(
    [PersistentState(StateProbeGrain.StateName, OrleansClusterFixture.StorageName)] IPersistentState<ProbeState> state)
    : StateProbeGrainBase(state), IStateProbeGrain
{
    public const string StateName = "probe";
}

// A state name of its own: the ADO.NET provider's row identity does not include the grain class.
public sealed class DeletingStateProbeGrain(
    [PersistentState(DeletingStateProbeGrain.StateName, OrleansClusterFixture.DeletingStorageName)] IPersistentState<ProbeState> state)
    : StateProbeGrainBase(state), IDeletingStateProbeGrain
{
    public const string StateName = "deleting-probe";
}

public interface IReminderProbeGrain : IGrainWithStringKey
{
    Task RegisterAsync(string reminderName, TimeSpan dueTime, TimeSpan period);

    Task<IReadOnlyList<string>> ListAsync();

    Task UnregisterAsync(string reminderName);
}

public sealed class ReminderProbeGrain : Grain, IReminderProbeGrain, IRemindable
{
    public async Task RegisterAsync(string reminderName, TimeSpan dueTime, TimeSpan period) =>
        await this.RegisterOrUpdateReminder(reminderName, dueTime, period);

    public async Task<IReadOnlyList<string>> ListAsync() =>
        (await this.GetReminders()).Select(r => r.ReminderName).ToList();

    public async Task UnregisterAsync(string reminderName)
    {
        var reminder = await this.GetReminder(reminderName)
            ?? throw new InvalidOperationException($"Reminder {reminderName} is not registered.");
        await this.UnregisterReminder(reminder);
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        ReminderFirings.Record(this.GetPrimaryKeyString(), reminderName);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Lets a test await a reminder firing instead of polling. Static because the silos run in the test process
/// and a reminder may fire in whichever silo owns the grain's slice of the ring.
/// </summary>
public static class ReminderFirings
{
    private static readonly ConcurrentDictionary<(string Grain, string Reminder), TaskCompletionSource> Firings = new();

    public static Task WaitAsync(string grainKey, string reminderName, TimeSpan timeout) =>
        Signal(grainKey, reminderName).Task.WaitAsync(timeout);

    public static void Record(string grainKey, string reminderName) => Signal(grainKey, reminderName).TrySetResult();

    private static TaskCompletionSource Signal(string grainKey, string reminderName) =>
        Firings.GetOrAdd((grainKey, reminderName), _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
