using System.Net;
using System.Net.Sockets;
using LiveStream.Grains;

namespace LiveStream.Host.Hosting;

/// <summary>
/// Declares dead the active silos that no longer listen on their silo port. A refused connection (twice, a moment
/// apart) means no process holds the port: the silo crashed. Timeouts prove nothing (a busy or partitioned silo)
/// and are left to membership's probes and votes.
/// </summary>
public sealed partial class SiloDepartureCheck(IClusterMembershipService membership, ILocalSiloDetails localSilo, ILogger<SiloDepartureCheck> logger) : ISiloDepartureCheck
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan RecheckDelay = TimeSpan.FromMilliseconds(200);

    public async Task<int> DeclareDepartedPeersDeadAsync(CancellationToken cancellationToken)
    {
        var peers = membership.CurrentSnapshot.Members.Values
            .Where(member => member.Status == SiloStatus.Active && !member.SiloAddress.Equals(localSilo.SiloAddress))
            .Select(member => member.SiloAddress)
            .ToList();
        var declared = await Task.WhenAll(peers.Select(peer => TryDeclareDeadAsync(peer, cancellationToken)));
        return declared.Count(dead => dead);
    }

    private async Task<bool> TryDeclareDeadAsync(SiloAddress peer, CancellationToken cancellationToken)
    {
        if (!await IsRefusedAsync(peer.Endpoint, cancellationToken))
        {
            return false;
        }

        await Task.Delay(RecheckDelay, cancellationToken);
        // A silo leaving on purpose records ShuttingDown before it closes its listener; only a silo still
        // recorded as active and refusing connections has crashed.
        if (!await IsRefusedAsync(peer.Endpoint, cancellationToken) || membership.CurrentSnapshot.GetSiloStatus(peer) != SiloStatus.Active)
        {
            return false;
        }

        LogDeclaringDead(peer);
        return await membership.TryKill(peer);
    }

    private static async Task<bool> IsRefusedAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            await socket.ConnectAsync(endpoint, timeout.Token);
            return false;
        }
        catch (SocketException exception)
        {
            return exception.SocketErrorCode == SocketError.ConnectionRefused;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {Silo} is recorded active but refuses connections: declaring it dead")]
    private partial void LogDeclaringDead(SiloAddress silo);
}
