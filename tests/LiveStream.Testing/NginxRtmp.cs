using System.Diagnostics;

namespace LiveStream.Testing;

/// <summary>
/// A private nginx with the RTMP module started through <c>scripts/nginx-rtmp.sh</c> (exactly as run.sh does) on free
/// ports, writing its media under a fresh folder. Its callbacks go to <paramref name="callbackBaseUrl"/>.
/// </summary>
public sealed class NginxRtmp : IAsyncDisposable
{
    private NginxRtmp(string directory, int rtmpPort, int controlPort)
    {
        Directory = directory;
        RtmpPort = rtmpPort;
        ControlPort = controlPort;
    }

    public string Directory { get; }

    public int RtmpPort { get; }

    public int ControlPort { get; }

    public string MediaDirectory => Path.Combine(Directory, "media");

    public string IngestUrl => $"rtmp://127.0.0.1:{RtmpPort}/live";

    public string ControlUrl => $"http://127.0.0.1:{ControlPort}/control";

    /// <summary>The host settings of the local media pipeline on this server, for a host on <paramref name="httpPort"/>.</summary>
    public Dictionary<string, string> HostSettings(int httpPort, string callbackSecret) => new()
    {
        ["Media:Provider"] = "local",
        ["Media:Local:Directory"] = MediaDirectory,
        ["Media:Local:IngestUrl"] = IngestUrl,
        ["Media:Local:ControlUrl"] = ControlUrl,
        ["Media:Local:PublicBaseUrl"] = $"http://127.0.0.1:{httpPort}",
        ["Media:Local:CallbackSecret"] = callbackSecret,
    };

    public static async Task<NginxRtmp> StartAsync(string callbackBaseUrl)
    {
        var directory = Path.Combine(RepositoryRoot, ".local", $"nginx-test-{Guid.NewGuid():N}");
        var rtmpPort = FreePorts.Next();
        var controlPort = FreePorts.Next();
        var (exitCode, output) = await RunScriptAsync("start", directory, rtmpPort.ToString(System.Globalization.CultureInfo.InvariantCulture), callbackBaseUrl, controlPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return exitCode == 0
            ? new NginxRtmp(directory, rtmpPort, controlPort)
            : throw new InvalidOperationException($"scripts/nginx-rtmp.sh start failed ({exitCode}):\n{output}");
    }

    public async ValueTask DisposeAsync()
    {
        await RunScriptAsync("stop", Directory);
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static string RepositoryRoot { get; } = FindRoot();

    private static async Task<(int ExitCode, string Output)> RunScriptAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Path.Combine(RepositoryRoot, "scripts", "nginx-rtmp.sh"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not run scripts/nginx-rtmp.sh.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await errors);
    }

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "LiveStream.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Could not find LiveStream.sln above the test binaries.");
    }
}
