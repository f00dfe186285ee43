using System.Diagnostics;
using System.Globalization;

namespace LiveStream.Bench;

/// <summary>
/// What the host processes' managed heap holds alive, measured with <c>dotnet-gcdump</c>: a heap snapshot starts with
/// a full blocking collection, so its size is live objects only. RSS alone cannot tell a leak from garbage that server
/// GC has not collected yet (it runs a full collection only when the oldest generation's budget is spent, which under
/// churn can take longer than a soak). The snapshot pauses each process for the collection and the heap walk.
/// </summary>
public static class LiveHeapProbe
{
    /// <summary>The tool, as <c>bench/run.sh</c> installs it (<c>LIVESTREAM_GCDUMP</c>), or null when it is missing.</summary>
    public static string? Tool
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("LIVESTREAM_GCDUMP");
            return string.IsNullOrEmpty(path) || !File.Exists(path) ? null : path;
        }
    }

    /// <summary>The summed live heap of the processes in MiB, or null when the tool is missing or a snapshot failed.</summary>
    public static async Task<double?> LiveHeapMiBAsync(IReadOnlyList<int> processIds)
    {
        if (Tool is not { } tool)
        {
            return null;
        }

        long total = 0;
        foreach (var id in processIds)
        {
            var file = Path.Combine(Path.GetTempPath(), $"livestream-soak-{id}-{Guid.NewGuid():N}.gcdump");
            try
            {
                if (await RunAsync(tool, "collect", "-p", id.ToString(CultureInfo.InvariantCulture), "-o", file) is null
                    || await RunAsync(tool, "report", file) is not { } report
                    || ParseHeapBytes(report) is not { } bytes)
                {
                    return null;
                }

                total += bytes;
            }
            finally
            {
                File.Delete(file);
            }
        }

        return total / (1024.0 * 1024.0);
    }

    /// <summary>The "GC Heap bytes" figure at the top of a <c>dotnet-gcdump report</c>.</summary>
    public static long? ParseHeapBytes(string report)
    {
        foreach (var line in report.Split('\n'))
        {
            var trimmed = line.Trim();
            if (trimmed.EndsWith("GC Heap bytes", StringComparison.Ordinal)
                && long.TryParse(trimmed[..^"GC Heap bytes".Length].Trim(), NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var bytes))
            {
                return bytes;
            }
        }

        return null;
    }

    private static async Task<string?> RunAsync(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Console.Error.WriteLine($"bench: dotnet-gcdump {arguments[0]} took longer than 2 minutes; no live-heap figure");
            return null;
        }

        if (process.ExitCode != 0)
        {
            Console.Error.WriteLine($"bench: dotnet-gcdump {arguments[0]} failed ({process.ExitCode}): {await errors}");
            return null;
        }

        return await output;
    }
}
