using System.Globalization;
using System.Text.RegularExpressions;

namespace LiveStream.Bench;

/// <summary>What one wrk run measured, read from its <c>--latency</c> output and the status lines of lua/bench.lua.</summary>
public sealed partial record WrkResult(
    double RequestsPerSecond,
    long Requests,
    double P50Milliseconds,
    double P99Milliseconds,
    long Non2xx,
    IReadOnlyDictionary<int, long> Statuses,
    int SocketConnect,
    int SocketRead,
    int SocketWrite,
    int SocketTimeout)
{
    public int SocketErrors => SocketConnect + SocketRead + SocketWrite + SocketTimeout;

    public bool HasErrors => Non2xx > 0 || SocketErrors > 0;

    /// <summary>"12 non-2xx (503 x12); socket: timeout 3" or "0".</summary>
    public string ErrorSummary
    {
        get
        {
            if (!HasErrors)
            {
                return "0";
            }

            var parts = new List<string>();
            if (Non2xx > 0)
            {
                var codes = string.Join(", ", Statuses.Where(pair => pair.Key is < 200 or > 299).OrderBy(pair => pair.Key).Select(pair => $"{pair.Key} x{pair.Value}"));
                parts.Add($"{Non2xx} non-2xx ({codes})");
            }

            if (SocketErrors > 0)
            {
                parts.Add($"socket: connect {SocketConnect}, read {SocketRead}, write {SocketWrite}, timeout {SocketTimeout}");
            }

            return string.Join("; ", parts);
        }
    }

    public static WrkResult Parse(string output)
    {
        var statuses = StatusLine().Matches(output).ToDictionary(
            match => int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture),
            match => long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
        if (statuses.Count == 0)
        {
            throw new FormatException($"wrk printed no status counts (did lua/bench.lua run?):\n{output}");
        }

        var socket = SocketLine().Match(output);
        return new WrkResult(
            RequestsPerSecond: double.Parse(Required(RequestsPerSecondLine(), output, "Requests/sec"), CultureInfo.InvariantCulture),
            Requests: long.Parse(Required(RequestsLine(), output, "requests in"), CultureInfo.InvariantCulture),
            P50Milliseconds: Milliseconds(Required(Percentile50(), output, "50% latency")),
            P99Milliseconds: Milliseconds(Required(Percentile99(), output, "99% latency")),
            Non2xx: statuses.Where(pair => pair.Key is < 200 or > 299).Sum(pair => pair.Value),
            Statuses: statuses,
            SocketConnect: socket.Success ? int.Parse(socket.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            SocketRead: socket.Success ? int.Parse(socket.Groups[2].Value, CultureInfo.InvariantCulture) : 0,
            SocketWrite: socket.Success ? int.Parse(socket.Groups[3].Value, CultureInfo.InvariantCulture) : 0,
            SocketTimeout: socket.Success ? int.Parse(socket.Groups[4].Value, CultureInfo.InvariantCulture) : 0);
    }

    /// <summary>wrk prints durations as e.g. <c>812.00us</c>, <c>1.23ms</c>, <c>2.00s</c>, <c>1.00m</c>.</summary>
    public static double Milliseconds(string text)
    {
        var match = Duration().Match(text);
        if (!match.Success)
        {
            throw new FormatException($"Not a wrk duration: '{text}'.");
        }

        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch
        {
            "us" => value / 1000,
            "ms" => value,
            "s" => value * 1000,
            "m" => value * 60_000,
            "h" => value * 3_600_000,
            var unit => throw new FormatException($"Unknown wrk time unit '{unit}'."),
        };
    }

    private static string Required(Regex pattern, string output, string what)
    {
        var match = pattern.Match(output);
        return match.Success ? match.Groups[1].Value : throw new FormatException($"wrk output has no {what}:\n{output}");
    }

    [GeneratedRegex(@"^bench-status (\d+) (\d+)$", RegexOptions.Multiline)]
    private static partial Regex StatusLine();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketLine();

    [GeneratedRegex(@"^Requests/sec:\s+([\d.]+)", RegexOptions.Multiline)]
    private static partial Regex RequestsPerSecondLine();

    [GeneratedRegex(@"^\s*(\d+) requests in ", RegexOptions.Multiline)]
    private static partial Regex RequestsLine();

    [GeneratedRegex(@"^\s+50%\s+(\S+)", RegexOptions.Multiline)]
    private static partial Regex Percentile50();

    [GeneratedRegex(@"^\s+99%\s+(\S+)", RegexOptions.Multiline)]
    private static partial Regex Percentile99();

    [GeneratedRegex(@"^([\d.]+)(us|ms|s|m|h)$")]
    private static partial Regex Duration();
}
