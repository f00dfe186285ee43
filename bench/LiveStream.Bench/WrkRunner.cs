using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace LiveStream.Bench;

/// <summary>Runs wrk (same threads, connections and duration for every scenario) with lua/bench.lua.</summary>
public sealed class WrkRunner(BenchOptions options, string workDirectory)
{
    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "lua", "bench.lua");

    /// <summary>wrk on PATH, installed with apt-get when missing and running as root; otherwise a clear failure.</summary>
    public static async Task<string> EnsureInstalledAsync()
    {
        if (await VersionAsync() is { } version)
        {
            return version;
        }

        if (Environment.UserName == "root" && File.Exists("/usr/bin/apt-get"))
        {
            Console.WriteLine("bench: installing wrk with apt-get");
            await ChildProcess.RunToCompletionAsync("apt-get update", "apt-get", ["update", "-qq"], new Dictionary<string, string>());
            await ChildProcess.RunToCompletionAsync("apt-get install wrk", "apt-get", ["install", "-y", "-qq", "--no-install-recommends", "wrk"],
                new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" });
        }

        return await VersionAsync()
            ?? throw new InvalidOperationException("wrk is not installed and could not be installed; run as root or `apt-get install wrk` (Debian package wrk).");
    }

    /// <summary>Discarded load: JIT tiering, grain activation, connection pools.</summary>
    public Task WarmUpAsync(Scenario scenario, IReadOnlyList<BenchRequest> requests, Uri baseAddress) =>
        RunWrkAsync(scenario, requests, baseAddress, options.WarmupSeconds, groups: []);

    public async Task<(WrkResult Result, CpuSplit Cpu)> MeasureAsync(Scenario scenario, IReadOnlyList<BenchRequest> requests, Uri baseAddress, IReadOnlyList<ProcessGroup> groups)
    {
        var (output, cpu) = await RunWrkAsync(scenario, requests, baseAddress, options.DurationSeconds, groups);
        return (WrkResult.Parse(output), cpu!);
    }

    private async Task<(string Output, CpuSplit? Cpu)> RunWrkAsync(
        Scenario scenario, IReadOnlyList<BenchRequest> requests, Uri baseAddress, int seconds, IReadOnlyList<ProcessGroup> groups)
    {
        var requestsFile = Path.Combine(workDirectory, $"{scenario.Id}.requests.lua");
        await File.WriteAllTextAsync(requestsFile, ToLua(requests));
        var start = new ProcessStartInfo("wrk")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            $"-t{options.Threads}", $"-c{options.Connections}", $"-d{seconds}s", "--latency",
            "--timeout", $"{options.TimeoutSeconds}s", "-s", Script, baseAddress.GetLeftPart(UriPartial.Authority) + "/",
        })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["BENCH_REQUESTS"] = requestsFile;
        using var wrk = Process.Start(start) ?? throw new InvalidOperationException("Could not start wrk.");
        var stdout = wrk.StandardOutput.ReadToEndAsync();
        var stderr = wrk.StandardError.ReadToEndAsync();

        // CPU is sampled inside the run, one second after its start and one before its end: steady state only.
        CpuSplit? cpu = null;
        if (groups.Count > 0)
        {
            var sampler = new CpuSampler([.. groups, ProcessGroup.Processes("wrk", () => [wrk.Id])]);
            var margin = seconds >= 5 ? 1.0 : 0.0;
            await Task.Delay(TimeSpan.FromSeconds(margin));
            sampler.Start();
            await Task.Delay(TimeSpan.FromSeconds(seconds - (2 * margin)));
            cpu = sampler.Stop();
        }

        await wrk.WaitForExitAsync();
        var output = await stdout + await stderr;
        if (wrk.ExitCode != 0)
        {
            throw new InvalidOperationException($"wrk failed for {scenario.Id} (exit {wrk.ExitCode}):\n{output}");
        }

        return (output, cpu);
    }

    /// <summary>The requests as the Lua table lua/bench.lua loads.</summary>
    public static string ToLua(IReadOnlyList<BenchRequest> requests)
    {
        var lua = new StringBuilder("-- written by LiveStream.Bench; loaded by lua/bench.lua\nreturn { requests = {\n");
        foreach (var request in requests)
        {
            lua.Append(CultureInfo.InvariantCulture, $"  {{ method = {Quote(request.Method)}, path = {Quote(request.Path)}, weight = {request.Weight}, ");
            lua.Append(CultureInfo.InvariantCulture, $"body = {(request.Body is null ? "nil" : Quote(request.Body))}, headers = {{ ");
            foreach (var (name, value) in request.Headers)
            {
                lua.Append(CultureInfo.InvariantCulture, $"[{Quote(name)}] = {Quote(value)}, ");
            }

            lua.Append("} },\n");
        }

        return lua.Append("} }\n").ToString();
    }

    private static string Quote(string text) =>
        "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal) + "\"";

    private static async Task<string?> VersionAsync()
    {
        try
        {
            var start = new ProcessStartInfo("wrk", ["-v"]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var wrk = Process.Start(start);
            if (wrk is null)
            {
                return null;
            }

            var output = await wrk.StandardOutput.ReadToEndAsync() + await wrk.StandardError.ReadToEndAsync();
            await wrk.WaitForExitAsync();
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? "wrk";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
