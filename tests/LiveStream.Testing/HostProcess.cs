using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace LiveStream.Testing;

/// <summary>How to start one LiveStream process for a test.</summary>
public sealed record HostProcessOptions(string ConnectionString, string SigningKey)
{
    public string Role { get; init; } = "all";

    public string ClusterId { get; init; } = $"test-{Guid.NewGuid():N}";

    public string Environment { get; init; } = "Development";

    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Fixed ports, e.g. to restart "the same" silo; free ports are picked when null.</summary>
    public int? HttpPort { get; init; }

    public int? SiloPort { get; init; }

    public int? GatewayPort { get; init; }
}

/// <summary>
/// The real executable (bin output of src/LiveStream.Host) as a child process on free ports, spoken to
/// over real HTTP. Tests use it for what only a process shows: kill -9, restarts, several silos.
/// </summary>
public sealed partial class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private HostProcess(Process process, HostProcessOptions options, int httpPort, int siloPort, int gatewayPort)
    {
        _process = process;
        Options = options;
        HttpPort = httpPort;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/");
        process.OutputDataReceived += (_, line) => Capture(line.Data);
        process.ErrorDataReceived += (_, line) => Capture(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public HostProcessOptions Options { get; }

    public Uri BaseAddress { get; }

    public int HttpPort { get; }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public int ProcessId => _process.Id;

    /// <summary>Where a Development host writes the routes it maps once started (see the host's RouteTableExport).</summary>
    public string RouteTableFile { get; private init; } = string.Empty;

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code of a process that has exited.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>What the host returns when a port it would listen on is taken (src/LiveStream.Host/Program.cs).</summary>
    public const int PortTakenExitCode = 3;

    /// <summary>What the process wrote so far, for failure messages.</summary>
    public string Output => string.Join('\n', _output);

    public static async Task<HostProcess> StartAsync(HostProcessOptions options)
    {
        // Ports the test did not fix are drawn free, but a process of a parallel test can take one before this host
        // binds it; the host then refuses to start (exit code 3, its port check), and a start on new ports is safe.
        var portsDrawn = options.HttpPort is null || options.SiloPort is null || options.GatewayPort is null;
        for (var attempt = 1; ; attempt++)
        {
            var host = Launch(options);
            try
            {
                await host.WaitUntilReadyAsync(options.ReadyTimeout);
                return host;
            }
            catch (InvalidOperationException) when (portsDrawn && attempt < 3 && host.HasExited && host.ExitCode == PortTakenExitCode)
            {
                await host.DisposeAsync();
            }
            catch
            {
                // Nobody else holds the process yet: a host that never got ready must not outlive the test run.
                await host.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>Starts a process that must refuse to start; returns its exit code and everything it wrote once it exited.</summary>
    public static async Task<(int ExitCode, string Output)> RunUntilExitAsync(HostProcessOptions options)
    {
        await using var host = Launch(options);
        using var timeout = new CancellationTokenSource(options.ReadyTimeout);
        try
        {
            await host._process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The {options.Role} process was expected to refuse to start but still ran after {options.ReadyTimeout}:\n{host.Output}");
        }

        // The parameterless wait also drains the redirected output.
        host._process.WaitForExit();
        return (host._process.ExitCode, host.Output);
    }

    private static HostProcess Launch(HostProcessOptions options)
    {
        var httpPort = options.HttpPort ?? FreePorts.Next();
        var siloPort = options.SiloPort ?? FreePorts.Next();
        var gatewayPort = options.GatewayPort ?? FreePorts.Next();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(HostAssemblyPath)!,
        };
        start.ArgumentList.Add(HostAssemblyPath);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{httpPort}");
        var environment = start.Environment;
        environment["ASPNETCORE_ENVIRONMENT"] = options.Environment;
        environment["DOTNET_ENVIRONMENT"] = options.Environment;
        environment["LiveStream__Role"] = options.Role;
        environment["ConnectionStrings__Postgres"] = options.ConnectionString;
        environment["Auth__DevTokens__SigningKey"] = options.SigningKey;
        environment["Orleans__ClusterId"] = options.ClusterId;
        environment["Orleans__SiloPort"] = siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["Orleans__GatewayPort"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["Orleans__AdvertisedIPAddress"] = "127.0.0.1";
        environment["Logging__Console__FormatterName"] = "simple";
        var routeTableFile = Path.Combine(Path.GetTempPath(), $"livestream-routes-{Guid.NewGuid():N}.json");
        environment["LiveStream__RouteTableFile"] = routeTableFile;
        foreach (var (key, value) in options.Settings)
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the LiveStream host.");
        return new HostProcess(process, options, httpPort, siloPort, gatewayPort) { RouteTableFile = routeTableFile };
    }

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The {Options.Role} process exited with code {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri("health/ready", UriKind.Relative));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"The {Options.Role} process was not ready within {timeout}:\n{Output}");
    }

    /// <summary><c>kill -9</c>: no shutdown code runs, exactly like a crashed task.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as ECS sends on a stop, then wait for a graceful exit.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            _ = SendSignal(_process.Id, Sigterm);
        }

        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
            throw new TimeoutException($"The {Options.Role} process did not stop within {timeout} of SIGTERM.");
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
        File.Delete(RouteTableFile);
    }

    private void Capture(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 2000 && _output.TryDequeue(out _))
        {
        }
    }

    /// <summary>The host's own build output, in the same configuration as the tests.</summary>
    public static string HostAssemblyPath { get; } = FindHostAssembly();

    /// <summary>Where a host started here keeps local media unless <c>Media:Local:Directory</c> says otherwise.</summary>
    public static string DefaultMediaDirectory => Path.Combine(Path.GetDirectoryName(HostAssemblyPath)!, ".local", "media");

    private static string FindHostAssembly()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "LiveStream.sln")))
        {
            directory = directory.Parent;
        }

        if (directory is null)
        {
            throw new InvalidOperationException("Could not find LiveStream.sln above the test binaries.");
        }

        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(directory.FullName, "src", "LiveStream.Host", "bin", configuration, "net10.0", "LiveStream.Host.dll");
        return File.Exists(path) ? path : throw new InvalidOperationException($"Build src/LiveStream.Host first: {path} is missing.");
    }

    private const int Sigterm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);

    public static string NewSigningKey() => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
}
