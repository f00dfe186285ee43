namespace LiveStream.Abstractions.Cluster;

/// <summary>
/// Asked by a front end that lost its connection to a gateway: the silo that answers checks whether any silo the
/// membership table still calls active has stopped listening, and declares such a silo dead at once instead of
/// after the probes' detection window.
/// </summary>
[Alias("livestream.silo-departure")]
public interface ISiloDepartureGrain : IGrainWithIntegerKey
{
    /// <summary>How many silos were declared dead by this check.</summary>
    [Alias("confirm-departures")]
    Task<int> ConfirmDeparturesAsync();
}
