using System.Diagnostics;
using System.Net;

namespace LiveStream.Testing;

/// <summary>
/// A private <c>moto_server</c> (the local AWS emulator) on a free loopback port, for tests of our AWS
/// adapters. It stands in for AWS in tests only. Missing emulator = loud failure, never a skip.
/// </summary>
public sealed class MotoServer : IAsyncDisposable
{
    private readonly Process _process;

    private MotoServer(Process process, Uri serviceUrl)
    {
        _process = process;
        ServiceUrl = serviceUrl;
    }

    /// <summary>The one endpoint every AWS service is reached at, as our "AWS service URL" setting takes it.</summary>
    public Uri ServiceUrl { get; }

    public const string Region = "us-east-1";
    public const string AccessKey = "testing";
    public const string SecretKey = "testing";

    /// <summary>The <c>Aws:*</c> settings that point a host's AWS clients at the emulator reached at <paramref name="serviceUrl"/>.</summary>
    public static Dictionary<string, string> AwsSettings(Uri serviceUrl) => new()
    {
        ["Aws:Region"] = Region,
        ["Aws:ServiceUrl"] = serviceUrl.ToString(),
        ["Aws:AccessKey"] = AccessKey,
        ["Aws:SecretKey"] = SecretKey,
    };

    public static async Task<MotoServer> StartAsync()
    {
        var executable = FindExecutable()
            ?? throw new InvalidOperationException(
                "moto_server was not found on PATH or under ~/.pyenv/shims. ./test.sh needs the moto AWS emulator (pip install 'moto[server]').");
        var port = FreePorts.Next();
        var start = new ProcessStartInfo(executable, ["-H", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("moto_server did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var url = new Uri($"http://127.0.0.1:{port}/");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"moto_server exited with code {process.ExitCode} before it answered.");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(url, "moto-api/data.json"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return new MotoServer(process, url);
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        process.Kill(entireProcessTree: true);
        throw new InvalidOperationException("moto_server did not answer within 30 s.");
    }

    /// <summary>The emulator's whole recorded state (<c>GET /moto-api/data.json</c>), for assertions on what AWS would hold.</summary>
    public async Task<System.Text.Json.JsonDocument> GetStateAsync()
    {
        using var http = new HttpClient();
        await using var stream = await http.GetStreamAsync(new Uri(ServiceUrl, "moto-api/data.json"));
        return await System.Text.Json.JsonDocument.ParseAsync(stream);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static string? FindExecutable()
    {
        var home = Environment.GetEnvironmentVariable("HOME") ?? "/root";
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append(Path.Combine(home, ".pyenv", "shims"))
            .Append("/root/.pyenv/shims")
            .Select(directory => Path.Combine(directory, "moto_server"));
        return candidates.FirstOrDefault(File.Exists);
    }
}
