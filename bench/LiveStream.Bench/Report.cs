using System.Globalization;
using System.Text;

namespace LiveStream.Bench;

/// <summary>
/// Writes docs/benchmarks.md: machine, command, settings, a table per topology (throughput, latency, errors, ratio to
/// bare Kestrel) with the measured CPU split, skipped scenarios and caveats. A hand-written analysis between the
/// markers below survives a rerun (it is moved to the new file as is, so re-read it against the new figures).
/// </summary>
public static class Report
{
    private const string AnalysisStart = "<!-- analysis:start -->";
    private const string AnalysisEnd = "<!-- analysis:end -->";

    public static async Task WriteAsync(string path, BenchOptions options, MachineInfo machine, int baselineBytes, IReadOnlyList<TopologyResult> topologies)
    {
        var previous = File.Exists(path) ? await File.ReadAllTextAsync(path) : "";
        var md = new StringBuilder();
        void Line(FormattableString text = default!) => md.Append(text is null ? "" : string.Create(CultureInfo.InvariantCulture, $"{text}")).Append('\n');

        Line($"# Benchmarks");
        Line();
        Line($"Throughput and latency of the HTTP API under closed-loop load from `wrk`, next to a bare Kestrel endpoint measured in");
        Line($"the same run on the same box. Written by `bench/LiveStream.Bench` (see `bench/README.md`); do not edit the figures by hand.");
        Line();
        Line($"## Run");
        Line();
        Line($"- Date: {machine.Date:yyyy-MM-dd HH:mm} UTC");
        Line($"- Machine: {machine.Cores} cores (nproc), {machine.CpuModel}, {machine.MemoryGiB:0.0} GiB memory, {machine.OperatingSystem}, kernel {machine.Kernel}");
        Line($"- Software: {machine.Runtime}, {machine.Postgres} (private cluster, fsync on), {machine.Wrk}");
        Line($"- Command: `{options.Command ?? "dotnet run --project bench/LiveStream.Bench -c Release -- " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}`");
        Line($"- Load: `wrk {options.WrkFlags} -s bench/LiveStream.Bench/lua/bench.lua` per scenario, after a discarded {options.WarmupSeconds} s warm-up with the same flags");
        Line($"- Host: Release build of `src/LiveStream.Host`, a fresh database per topology (created, `LiveStream.Host.dll migrate`, dropped), settings {string.Join(", ", HostTopology.CommonSettings.Select(pair => $"`{pair.Key}={pair.Value}`"))}; every request to the host except the token scenario carries `Authorization: Bearer <dev token>` of a seeded mentee");
        if (options.HostEnvironment.Count > 0)
        {
            Line($"- Extra host environment: {string.Join(", ", options.HostEnvironment.Select(pair => $"`{pair.Key}={pair.Value}`"))}");
        }

        Line($"- Seed (through the API): 1 mentor with profile and course, 8 scheduled sessions, {options.Mentees} mentees with profiles following the mentor");
        Line($"- Response sizes: bare Kestrel `GET /` {baselineBytes} bytes; session detail {string.Join(" / ", topologies.Select(t => $"{t.SessionDetailBytes} bytes ({t.Topology.Name()})"))}");
        Line();

        foreach (var topology in topologies)
        {
            WriteTopology(md, topology);
        }

        var openLoop = topologies.Where(t => t.OpenLoop is { Count: > 0 }).ToList();
        if (openLoop.Count > 0)
        {
            WriteOpenLoop(md, openLoop, options);
        }

        var histories = topologies.Where(t => t.History is not null).ToList();
        if (histories.Count > 0)
        {
            Line($"## Cost against history");
            Line();
            Line($"One fresh mentor schedules and cancels sessions one after another (`POST /livestream/`, then `DELETE /livestream/{{id}}`, one client, no overlap); the mean time per pair over the first and over the last {histories[0].History!.Sample} pairs, and the host processes' resident memory (VmRSS) before and after. Equal figures mean a write's cost does not grow with the mentor's history.");
            Line();
            Line($"| topology | sessions | first pairs | last pairs | last / first | host RSS before -> after | wall time |");
            Line($"|---|---:|---:|---:|---:|---:|---:|");
            foreach (var topology in histories)
            {
                var history = topology.History!;
                Line($"| `{topology.Topology.Name()}` | {history.Sessions:N0} | {history.FirstMsPerPair:0.0} ms | {history.LastMsPerPair:0.0} ms | {history.LastMsPerPair / history.FirstMsPerPair:0.00} | {history.RssBeforeMiB:0} -> {history.RssAfterMiB:0} MiB | {history.Elapsed.TotalSeconds:0} s |");
            }

            Line();
        }

        var skipped = topologies.SelectMany(t => t.Scenarios).Where(s => s.Skipped is not null).Select(s => s.Scenario).DistinctBy(s => s.Id).ToList();
        if (skipped.Count > 0)
        {
            Line($"## Not measured yet");
            Line();
            Line($"These rows of the scenario table (`bench/LiveStream.Bench/Scenarios.cs`) are defined but skipped; they are not figures.");
            Line();
            foreach (var scenario in skipped)
            {
                Line($"- `{scenario.Id}` ({scenario.Title}): {scenario.Pending}");
            }

            Line();
        }

        Line($"## Caveats");
        Line();
        Line($"- One box, {machine.Cores} cores: `wrk`, the server process(es) and PostgreSQL share them, so the load generator takes CPU from the server; the CPU tables show how much. Ratios to bare Kestrel are the robust figure, absolute req/s are this box's.");
        Line($"- `wrk` is closed-loop ({options.Connections} connections, each sends its next request when the previous answer arrives): the latencies are those of a saturated server at {options.Connections} requests in flight, not at a fixed arrival rate (no coordinated-omission correction). The open-loop table, where present, gives latency at fixed rates.");
        Line($"- Logging is at Warning (`Logging__LogLevel__Default=Warning`) so console output does not dominate; ASPNETCORE_ENVIRONMENT=Development only for dev tokens (HS256 JWT validated on every request) and loopback addresses. OpenTelemetry tracing/metrics are registered as in production, with no exporter configured.");
        Line($"- CPU is read from /proc (utime+stime per process, machine busy time) over the measured window minus its first and last second. `other` is busy time of the machine outside the listed processes: other work on the box, kernel softirq time of loopback networking. Server CPU per request = CPU of the server processes (without PostgreSQL and wrk) / req/s.");
        Line($"- Each figure is one {options.DurationSeconds} s run; expect a few percent of run-to-run noise, more if `other` is high.");
        Line();

        var analysis = ExtractAnalysis(previous);
        Line($"## Analysis");
        Line();
        md.Append(analysis ?? $"{AnalysisStart}\n_(no analysis written for this run yet)_\n{AnalysisEnd}\n");

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, md.ToString());
    }

    private static void WriteTopology(StringBuilder md, TopologyResult topology)
    {
        var baseline = topology.Scenarios.FirstOrDefault(s => s.Scenario.Id == Scenarios.BaselineId)?.Result;
        var measured = topology.Scenarios.Where(s => s.Result is not null).ToList();
        var title = topology.Topology == Topology.All ? "one process, role `all`" : "`api` process + `silo` process on the same box";
        md.Append(CultureInfo.InvariantCulture, $"## Topology `{topology.Topology.Name()}` ({title})\n\n");
        md.Append("| scenario | req/s | p50 | p99 | errors | vs bare Kestrel |\n|---|---:|---:|---:|---|---:|\n");
        foreach (var row in topology.Scenarios)
        {
            if (row.Result is not { } result)
            {
                md.Append(CultureInfo.InvariantCulture, $"| `{row.Scenario.Id}` {row.Scenario.Title} | not measured | | | | pending endpoint |\n");
                continue;
            }

            var ratio = baseline is null ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{100 * result.RequestsPerSecond / baseline.RequestsPerSecond:0.0} %");
            var errors = result.HasErrors ? $"**⚠ {result.ErrorSummary}**" : "0";
            md.Append(CultureInfo.InvariantCulture,
                $"| `{row.Scenario.Id}` {row.Scenario.Title} | {result.RequestsPerSecond:N0} | {Ms(result.P50Milliseconds)} | {Ms(result.P99Milliseconds)} | {errors} | {ratio} |\n");
        }

        var flagged = measured.Where(s => s.Result!.HasErrors).Select(s => $"`{s.Scenario.Id}`").ToList();
        md.Append('\n');
        if (flagged.Count > 0)
        {
            md.Append(CultureInfo.InvariantCulture, $"**Flagged:** {string.Join(", ", flagged)} had errors (non-2xx answers or socket errors); their req/s include failed requests.\n\n");
        }

        md.Append("CPU used during each measured run, in cores (").Append(measured.FirstOrDefault()?.Cpu?.MachineCores ?? Environment.ProcessorCount).Append(" = the whole box):\n\n");
        var groups = topology.ServerGroups.Append("wrk").ToList();
        md.Append("| scenario | ").Append(string.Join(" | ", groups)).Append(" | other | machine busy | server CPU per request | of the host: JIT tiering |\n");
        md.Append("|---|").Append(string.Concat(groups.Select(_ => "---:|"))).Append("---:|---:|---:|---:|\n");
        foreach (var row in measured)
        {
            var cpu = row.Cpu!;
            var cores = groups.Select(name => cpu.Groups.FirstOrDefault(group => group.Name == name).Cores).ToList();
            var serverNames = row.Scenario.Target == ScenarioTarget.Baseline ? ["bare kestrel"] : topology.ServerGroups.Where(name => name.StartsWith("host", StringComparison.Ordinal)).ToList();
            var serverCores = cpu.Groups.Where(group => serverNames.Contains(group.Name)).Sum(group => group.Cores);
            md.Append(CultureInfo.InvariantCulture, $"| `{row.Scenario.Id}` | {string.Join(" | ", cores.Select(c => c.ToString("0.00", CultureInfo.InvariantCulture)))} | {cpu.OtherCores:0.00} | {cpu.MachineBusyCores:0.00} | {serverCores * 1e6 / row.Result!.RequestsPerSecond:0} µs | {cpu.Groups.FirstOrDefault(group => group.Name == BenchRun.JitGroup).Cores:0.00} |\n");
        }

        md.Append('\n');
    }

    private static void WriteOpenLoop(StringBuilder md, IReadOnlyList<TopologyResult> topologies, BenchOptions options)
    {
        md.Append("## Open-loop latency (mixed profile at fixed rates)\n\n");
        md.Append(CultureInfo.InvariantCulture, $"The `mixed` requests sent at a fixed rate, a share of the req/s its closed-loop run measured just before in the same topology, by the bench tool's own driver (`OpenLoopDriver.cs`: the Debian `wrk` has no wrk2-style `-R`), {options.OpenLoopConnections} connections, {options.WarmupSeconds} s at the rate discarded, then {options.DurationSeconds} s measured. Latency counts from each request's **scheduled** send time, so waiting for a connection or behind a slow answer is included (no coordinated omission). \"Send lag\" is how late the driver itself sent (its p99; it sends due requests in 1 ms batches); \"kept\" means send lag p99 <= 2 ms and >= 98 % of the target answered, i.e. the figures are the server's, not the driver's. Non-2xx answers, transport errors, timeouts ({options.TimeoutSeconds} s) and requests unanswered at the end are errors and have no latency. The driver-check row sends the highest rate of its pass to bare Kestrel instead: its latency and CPU are (almost all) the driver's own cost at that rate.\n\n");
        md.Append("| topology | share of max | target req/s | achieved req/s | p50 | p99 | p99.9 | max | errors | send lag p99 | driver CPU | host CPU | postgres CPU | kept |\n");
        md.Append("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|\n");
        foreach (var topology in topologies)
        {
            foreach (var result in topology.OpenLoop!)
            {
                var host = result.Cpu.Groups.Where(group => group.Name.StartsWith("host ", StringComparison.Ordinal) && group.Name != BenchRun.JitGroup).Sum(group => group.Cores);
                var postgres = result.Cpu.Groups.FirstOrDefault(group => group.Name == "postgres").Cores;
                var driver = result.Cpu.Groups.FirstOrDefault(group => group.Name == "driver").Cores;
                var errors = result.Errors > 0 ? $"**⚠ {result.ErrorSummary}**" : "0";
                md.Append(CultureInfo.InvariantCulture,
                    $"| {(result.DriverCheck ? $"driver check: bare Kestrel `GET /` ({topology.Topology.Name()} pass)" : $"`{topology.Topology.Name()}`")} | {result.Share:0} % | {result.TargetRate:N0} | {result.AchievedRate:N0} | {Ms(result.P50Milliseconds)} | {Ms(result.P99Milliseconds)} | {Ms(result.P999Milliseconds)} | {Ms(result.MaxMilliseconds)} | {errors} | {Ms(result.SendLagP99Milliseconds)} | {driver:0.00} | {host:0.00} | {postgres:0.00} | {(result.KeptSchedule ? "yes" : "**no**")} |\n");
            }
        }

        md.Append("\nCPU in cores over the measured window; the driver shares the box with the server, as `wrk` does in the closed-loop tables.\n\n");
    }

    private static string Ms(double milliseconds) => string.Create(CultureInfo.InvariantCulture, $"{milliseconds:0.00} ms");

    private static string? ExtractAnalysis(string previous)
    {
        var start = previous.IndexOf(AnalysisStart, StringComparison.Ordinal);
        var end = previous.IndexOf(AnalysisEnd, StringComparison.Ordinal);
        // The analysis and every section after it (other tools' benchmarks) are kept across runs.
        return start >= 0 && end > start ? previous[start..].TrimEnd('\n') + "\n" : null;
    }
}
