using LiveStream.Abstractions.Cluster;

namespace LiveStream.Host.Hosting;

/// <summary>
/// Tells the front end's in-flight calls that a silo went away. Orleans' client does not fail requests it sent
/// through a gateway whose connection then dropped, nor requests a live gateway forwarded into a silo that then
/// died: both wait for the full response timeout. A dropped gateway connection is the earliest evidence of a
/// dead silo (every silo is a gateway), so on it the current token is cancelled and replaced; calls that are safe
/// to repeat carry the token (see <see cref="RetryIdempotentCallsFilter"/>), give up their attempt and go again.
/// </summary>
public sealed partial class SiloLossSignal(IServiceProvider services, ILogger<SiloLossSignal> logger) : IClusterConnectionStatusObserver
{
    private const int ConfirmAttempts = 8;

    private CancellationTokenSource _current = new();
    private int _confirming;

    /// <summary>Cancelled when a gateway connection is lost after the token was read.</summary>
    public CancellationToken Current => Volatile.Read(ref _current).Token;

    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        if (currentNumberOfGateways < previousNumberOfGateways)
        {
            Signal(currentNumberOfGateways);
        }
    }

    public void NotifyClusterConnectionLost() => Signal(0);

    private void Signal(int gatewaysLeft)
    {
        LogGatewayLost(gatewaysLeft);
        var previous = Interlocked.Exchange(ref _current, new CancellationTokenSource());

        // Called on a messaging thread: the waiting calls' continuations must not run on it.
        _ = Task.Run(() =>
        {
            previous.Cancel();
            previous.Dispose();
        });

        if (gatewaysLeft > 0)
        {
            _ = ConfirmDeparturesAsync();
        }
    }

    /// <summary>
    /// Until membership declares the silo dead, the directory still sends its grains' calls there and they are
    /// rejected; the probes take ~6 s to decide. A live silo can tell at once whether the silo stopped listening
    /// (refused connections) and declare it dead, which moves its grains. One check at a time is enough.
    /// </summary>
    private async Task ConfirmDeparturesAsync()
    {
        if (Interlocked.Exchange(ref _confirming, 1) == 1)
        {
            return;
        }

        try
        {
            await Task.Yield();
            var grains = services.GetRequiredService<IGrainFactory>();
            // Placing even a stateless worker looks its key up in the grain directory, and the partition owning a
            // key may be the dead silo until it is declared dead (measured: every attempt with one key failed).
            // A fresh key per attempt lands on another partition, most likely a live one.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    LogDeparturesConfirmed(await grains.GetGrain<ISiloDepartureGrain>(Random.Shared.NextInt64()).ConfirmDeparturesAsync());
                    return;
                }
                catch (Exception exception) when (attempt < ConfirmAttempts && RetryIdempotentCallsFilter.IsTransient(exception))
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(50));
                }
            }
        }
        catch (Exception exception)
        {
            // Only an acceleration: membership's own probes still declare the silo dead.
            LogConfirmFailed(exception);
        }
        finally
        {
            Volatile.Write(ref _confirming, 0);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost a gateway connection ({GatewaysLeft} left): in-flight safe calls go again")]
    private partial void LogGatewayLost(int gatewaysLeft);

    [LoggerMessage(Level = LogLevel.Information, Message = "Departure check after a lost gateway declared {Declared} silo(s) dead")]
    private partial void LogDeparturesConfirmed(int declared);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Departure check after a lost gateway failed; membership probes will decide")]
    private partial void LogConfirmFailed(Exception exception);
}
