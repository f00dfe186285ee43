using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http.Features;

namespace LiveStream.Host.Hosting;

/// <summary>The silo and gateway endpoints this process will listen on (roles that host grains).</summary>
public sealed record SiloListeners(IPEndPoint Silo, IPEndPoint Gateway);

/// <summary>
/// Before anything starts: every address this process will listen on (HTTP, operator ports, silo, gateway) must be
/// free. The silo joins the cluster before Kestrel binds, and Orleans listens with address reuse, so without this a
/// second process on a taken port would join under the running silo's address, get it declared dead, and only then
/// fail. Checking first makes a taken port fail the start with a clear message, before the process touches the cluster.
/// </summary>
public static class ListenerCheck
{
    private const int SolSocket = 1;
    private const int SoReuseAddr = 2;
    private const int SoReusePort = 15;

    /// <summary>A line naming the first taken address and its setting, or null when every one is free.</summary>
    public static string? FindTakenListener(IHostApplicationBuilder builder)
    {
        foreach (var (setting, endpoint) in Listeners(builder))
        {
            using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (OperatingSystem.IsWindows())
                {
                    socket.ExclusiveAddressUse = true;
                }
                else if (OperatingSystem.IsLinux())
                {
                    // Orleans listens with .NET's ReuseAddress, which on Linux is SO_REUSEADDR plus SO_REUSEPORT, and the
                    // kernel lets a second socket share a listening port when both set SO_REUSEPORT. So the probe sets
                    // SO_REUSEPORT off explicitly (setting ExclusiveAddressUse = false would turn it on) and SO_REUSEADDR
                    // alone, so connections a restarted process left in TIME_WAIT do not count but any listener does.
                    socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(0));
                    socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
                }

                socket.Bind(endpoint);
                socket.Listen(1);
            }
            catch (SocketException exception) when (exception.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
            {
                return string.Create(
                    CultureInfo.InvariantCulture,
                    $"LiveStream cannot start: {endpoint} ({setting}) is already in use, probably by another LiveStream process. Nothing was started and the cluster was not joined; choose another port.");
            }
        }

        return null;
    }

    /// <summary>
    /// Whether a start failed on binding an address that <see cref="FindTakenListener"/> found free: another process
    /// took it in between (a parallel start, anything listening on a port it was given). Such a start is refused like
    /// a taken port, not crashed, so whoever started it can tell the two apart and try other ports.
    /// </summary>
    public static bool IsPortTaken(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is Microsoft.AspNetCore.Connections.AddressInUseException
                or SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The line a start refused by <see cref="IsPortTaken"/> ends with.</summary>
    public static string PortTakenWhileStarting(Exception exception) =>
        $"LiveStream cannot start: an address it listens on was taken by another process while it started ({exception.Message}). Choose another port; a silo that got as far as joining the cluster is declared dead by the others.";

    private static IEnumerable<(string Setting, IPEndPoint Endpoint)> Listeners(IHostApplicationBuilder builder)
    {
        var urls = builder.Configuration["urls"];
        foreach (var url in (urls ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var address = BindingAddress.Parse(url);
            if (address.Port == 0 || address.IsUnixPipe)
            {
                continue;
            }

            var ip = address.Host switch
            {
                "localhost" => IPAddress.Loopback,
                "*" or "+" => IPAddress.Any,
                var host when IPAddress.TryParse(host.Trim('[', ']'), out var parsed) => parsed,
                _ => IPAddress.Any,
            };
            yield return ("urls", new IPEndPoint(ip, address.Port));
        }

        if (builder.Properties.TryGetValue(typeof(SiloListeners), out var value) && value is SiloListeners silo)
        {
            yield return ("Orleans:SiloPort", silo.Silo);
            yield return ("Orleans:GatewayPort", silo.Gateway);
        }
    }
}
