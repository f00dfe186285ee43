using System.Net;
using System.Net.Sockets;

namespace LiveStream.Testing;

/// <summary>
/// Loopback ports for the listeners tests start (hosts, silos, moto, nginx). A port from bind(0) comes out of the
/// kernel's ephemeral range, the same range every outgoing connection on the box (database, HTTP) takes its local
/// port from, so with tests running in parallel one of those could take it before the process handed the port binds
/// it. Ports are therefore drawn at random below that range and checked free; a caller that starts a process still
/// retries when the process reports its port taken (another test may have drawn the same one).
/// </summary>
public static class FreePorts
{
    private const int Lowest = 10_000;

    private static readonly int EphemeralStart = ReadEphemeralStart();

    public static int Next()
    {
        if (EphemeralStart - Lowest >= 1_000)
        {
            for (var attempt = 0; attempt < 100; attempt++)
            {
                var port = Random.Shared.Next(Lowest, EphemeralStart);
                if (IsFree(port))
                {
                    return port;
                }
            }
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsFree(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int ReadEphemeralStart()
    {
        try
        {
            // "32768	60999" on Linux.
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 0;
        }
    }
}
