using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace LiveStream.Testing;

/// <summary>Real ffmpeg/ffprobe: a publisher pushing a test pattern with a tone, and probes of what was produced.</summary>
public static class Ffmpeg
{
    /// <summary>
    /// Publishes <paramref name="seconds"/> of H.264/AAC (640x360, 30 fps, 2 s GOP) in real time to
    /// <paramref name="rtmpUrl"/>; the process exits non-zero when the server refuses the publish.
    /// </summary>
    public static Process Publish(string rtmpUrl, double seconds)
    {
        var start = new ProcessStartInfo("ffmpeg")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "-nostdin", "-hide_banner", "-loglevel", "error", "-re",
            "-f", "lavfi", "-i", "testsrc=size=640x360:rate=30", "-f", "lavfi", "-i", "sine=frequency=440",
            "-t", seconds.ToString(CultureInfo.InvariantCulture),
            "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-g", "60", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-f", "flv", rtmpUrl,
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start ffmpeg.");
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }

    /// <summary>Waits for a publisher to finish and returns its exit code (it is killed after <paramref name="timeout"/>).</summary>
    public static async Task<int> WaitAsync(Process process, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        return process.ExitCode;
    }

    /// <summary>What ffprobe reads at <paramref name="url"/>; null when it cannot read it.</summary>
    public static async Task<ProbeResult?> ProbeAsync(string url)
    {
        var start = new ProcessStartInfo("ffprobe")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-v", "error", "-rw_timeout", "5000000", "-print_format", "json", "-show_format", "-show_streams", url })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start ffprobe.");
        var output = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            return null;
        }

        using var json = JsonDocument.Parse(await output);
        var codecs = json.RootElement.TryGetProperty("streams", out var streams)
            ? streams.EnumerateArray().Select(stream => stream.GetProperty("codec_name").GetString() ?? string.Empty).ToArray()
            : [];
        var format = json.RootElement.GetProperty("format");
        double? duration = format.TryGetProperty("duration", out var value) && double.TryParse(value.GetString(), CultureInfo.InvariantCulture, out var seconds) ? seconds : null;
        return new ProbeResult(format.GetProperty("format_name").GetString() ?? string.Empty, codecs, duration);
    }
}

public sealed record ProbeResult(string Format, IReadOnlyList<string> Codecs, double? Duration);
