using LiveStream.Abstractions.Cluster;
using Orleans.Concurrency;

namespace LiveStream.Grains;

/// <summary>The silo-side check behind <see cref="ISiloDepartureGrain"/>; implemented by the host, which owns membership.</summary>
public interface ISiloDepartureCheck
{
    Task<int> DeclareDepartedPeersDeadAsync(CancellationToken cancellationToken);
}

/// <summary>
/// A stateless worker, so the check runs on whichever live silo the caller's gateway is, without a directory
/// lookup that could itself point at the silo that died.
/// </summary>
[StatelessWorker(1)]
public sealed class SiloDepartureGrain(ISiloDepartureCheck check) : Grain, ISiloDepartureGrain
{
    public Task<int> ConfirmDeparturesAsync() => check.DeclareDepartedPeersDeadAsync(CancellationToken.None);
}
