using System.Globalization;
using System.Reflection;
using Npgsql;

namespace LiveStream.Bench;

/// <summary>What one scenario gave in one topology: measured, or skipped with the reason.</summary>
public sealed record ScenarioResult(Scenario Scenario, WrkResult? Result, CpuSplit? Cpu, string? Skipped);

public sealed record TopologyResult(
    Topology Topology,
    IReadOnlyList<ScenarioResult> Scenarios,
    IReadOnlyList<string> ServerGroups,
    int SessionDetailBytes,
    HistoryResult? History = null,
    IReadOnlyList<OpenLoopResult>? OpenLoop = null);

/// <summary>The run: baseline process, then for each topology a fresh database, the host, the seed and every scenario.</summary>
public static class BenchRun
{
    public const string JitGroup = "host JIT tiering";

    public const string MixedId = "mixed";

    public static async Task RunAsync(BenchOptions options)
    {
        if (options.SoakMinutes > 0)
        {
            await SoakAsync(options);
            return;
        }

        var wrkVersion = await WrkRunner.EnsureInstalledAsync();
        var machine = await MachineInfo.CollectAsync(wrkVersion, options.PostgresAdmin);
        var postgresPort = new NpgsqlConnectionStringBuilder(options.PostgresAdmin).Port;
        var workDirectory = Directory.CreateDirectory(Path.Combine(options.RepositoryRoot, ".local", "bench")).FullName;
        var wrk = new WrkRunner(options, workDirectory);
        var selected = Scenarios.All.Where(scenario => options.Scenarios.Count == 0 || options.Scenarios.Contains(scenario.Id)).ToList();
        if (!selected.Any(scenario => scenario.Id == Scenarios.BaselineId))
        {
            selected.Insert(0, Scenarios.All[0]); // every ratio needs the baseline of the same run
        }

        var openLoop = options.Scenarios.Count == 0 || options.Scenarios.Contains(OpenLoopResult.ScenarioId);
        if (openLoop && !selected.Any(scenario => scenario.Id == MixedId))
        {
            selected.Add(Scenarios.All.Single(scenario => scenario.Id == MixedId)); // the open-loop rates are shares of its maximum
        }

        Console.WriteLine($"bench: {machine.Cores} cores, {machine.MemoryGiB:0.0} GiB, wrk {options.WrkFlags} (warm-up {options.WarmupSeconds}s)");
        await using var baseline = await StartBaselineAsync();
        var results = new List<TopologyResult>();
        foreach (var topology in options.Topologies)
        {
            Console.WriteLine($"bench: topology {topology.Name()}: fresh database, migrate, start, seed");
            await using var database = await BenchDatabase.CreateAsync(options.PostgresAdmin);
            await using var host = await HostTopology.StartAsync(options, topology, database);
            var seed = await Seeder.SeedAsync(host.BaseAddress, options.Mentees);
            var groups = new List<ProcessGroup> { ProcessGroup.Processes("bare kestrel", () => [baseline.Process.Id]) };
            groups.AddRange(host.Processes.Select(process => ProcessGroup.Processes(process.Name, () => [process.Id])));
            groups.Add(ProcessGroup.Processes("postgres", () => CpuSampler.PostgresPids(postgresPort)));
            // Not a process of its own but part of the host's CPU: JIT tiering still running means the warm-up was short.
            groups.Add(new ProcessGroup(JitGroup, () => host.Processes.SelectMany(process => CpuSampler.TieredCompilationThreads(process.Id))));

            // One warm-up round over every measured host scenario before any measurement: the first scenario measured
            // must not pay the JIT tiering of code all scenarios share (ASP.NET Core, auth, Orleans messaging).
            Console.WriteLine("bench:   warm-up round over every scenario");
            foreach (var scenario in selected.Where(scenario => scenario.Pending is null && scenario.Target == ScenarioTarget.Host))
            {
                await wrk.WarmUpAsync(scenario, scenario.Requests(seed), host.BaseAddress);
            }

            var scenarios = new List<ScenarioResult>();
            foreach (var scenario in selected)
            {
                if (scenario.Pending is { } reason)
                {
                    Console.WriteLine($"bench:   {scenario.Id,-16} skipped: {reason}");
                    scenarios.Add(new ScenarioResult(scenario, null, null, reason));
                    continue;
                }

                var target = scenario.Target == ScenarioTarget.Baseline ? baseline.BaseAddress : host.BaseAddress;
                var requests = scenario.Requests(seed);
                await WaitForQuietMachineAsync();
                Console.WriteLine($"bench:   {scenario.Id,-16} warm-up");
                await wrk.WarmUpAsync(scenario, requests, target);
                Console.WriteLine($"bench:   {scenario.Id,-16} measuring");
                var (result, cpu) = await wrk.MeasureAsync(scenario, requests, target, groups);
                scenarios.Add(new ScenarioResult(scenario, result, cpu, null));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"bench:   {scenario.Id,-16} {result.RequestsPerSecond,10:0} req/s  p50 {result.P50Milliseconds,7:0.00} ms  p99 {result.P99Milliseconds,7:0.00} ms  errors {result.ErrorSummary}"));
            }

            HistoryResult? history = null;
            if (options.Scenarios.Count == 0 || options.Scenarios.Contains(HistoryResult.ScenarioId))
            {
                Console.WriteLine($"bench:   {HistoryResult.ScenarioId,-16} {options.HistorySessions} sessions scheduled + cancelled by one mentor");
                history = await HistoryProbe.RunAsync(host.BaseAddress, options.HistorySessions, [.. host.Processes.Select(process => process.Id)]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"bench:   {HistoryResult.ScenarioId,-16} first {history.Sample}: {history.FirstMsPerPair:0.0} ms/pair, last {history.Sample}: {history.LastMsPerPair:0.0} ms/pair, RSS {history.RssBeforeMiB:0} -> {history.RssAfterMiB:0} MiB"));
            }

            List<OpenLoopResult>? openLoopResults = null;
            if (openLoop && scenarios.FirstOrDefault(row => row.Scenario.Id == MixedId)?.Result is { } closedLoop)
            {
                openLoopResults = await RunOpenLoopAsync(options, host.BaseAddress, baseline.BaseAddress, Scenarios.All.Single(scenario => scenario.Id == MixedId).Requests(seed), closedLoop.RequestsPerSecond, groups);
            }

            results.Add(new TopologyResult(topology, scenarios, [.. groups.Where(group => group.Name != JitGroup).Select(group => group.Name)], seed.SessionDetailBytes, history, openLoopResults));
        }

        var output = Path.Combine(options.RepositoryRoot, options.Output);
        await Report.WriteAsync(output, options, machine, baseline.DocumentBytes, results);
        Console.WriteLine($"bench: wrote {output}");
        if (CapacityMeasurement.From(results, machine, options.Command ?? "LiveStream.Bench " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1))) is { } measurement)
        {
            await CapacityModel.WriteAsync(options.RepositoryRoot, options.CapacityOutput, measurement);
            Console.WriteLine($"bench: wrote {Path.Combine(options.RepositoryRoot, options.CapacityOutput)} from the split topology's mixed run");
        }
    }

    /// <summary>
    /// <c>driver-check --rate N[,N...] [--duration s] [--warmup s] [--open-loop-connections n]</c>: the open-loop driver
    /// against bare Kestrel alone, no host and no database, to see what the driver itself costs (CPU, send lag, latency)
    /// at a rate before trusting it at that rate.
    /// </summary>
    public static async Task<int> DriverCheckAsync(IReadOnlyList<string> args)
    {
        string Value(string name, string fallback) => args.SkipWhile(arg => arg != name).Skip(1).FirstOrDefault() ?? fallback;
        var rates = Value("--rate", "1000").Split(',').Select(rate => double.Parse(rate, CultureInfo.InvariantCulture)).ToList();
        var seconds = int.Parse(Value("--duration", "5"), CultureInfo.InvariantCulture);
        var warmup = int.Parse(Value("--warmup", "2"), CultureInfo.InvariantCulture);
        var connections = int.Parse(Value("--open-loop-connections", "256"), CultureInfo.InvariantCulture);
        await using var baseline = await StartBaselineAsync();
        var groups = new List<ProcessGroup> { ProcessGroup.Processes("host bare kestrel", () => [baseline.Process.Id]) };
        foreach (var rate in rates)
        {
            var result = await new OpenLoopDriver(baseline.BaseAddress, connections, TimeSpan.FromSeconds(2))
                .RunAsync([new BenchRequest("GET", "/", new Dictionary<string, string>())], 100, rate, warmup, seconds, groups);
            var driver = result.Cpu.Groups.FirstOrDefault(group => group.Name == "driver").Cores;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"driver-check: {OpenLoopDriver.Describe(result)}; driver {driver:0.00} cores ({1e6 * driver / Math.Max(1, result.AchievedRate):0} µs/request), bare kestrel {result.Cpu.Groups.First(group => group.Name == "host bare kestrel").Cores:0.00} cores, machine busy {result.Cpu.MachineBusyCores:0.00}; kept: {(result.KeptSchedule ? "yes" : "no")}"));
        }

        return 0;
    }

    /// <summary>The churn soak in each topology, on a fresh database and host; only the soak section of the report is written.</summary>
    private static async Task SoakAsync(BenchOptions options)
    {
        var machine = await MachineInfo.CollectAsync("(not used)", options.PostgresAdmin);
        var postgresPort = new NpgsqlConnectionStringBuilder(options.PostgresAdmin).Port;
        var results = new List<SoakResult>();
        foreach (var topology in options.Topologies)
        {
            Console.WriteLine($"bench: soak, topology {topology.Name()}: fresh database, migrate, start, seed; {options.SoakMinutes} min at {options.SoakRate} ops/s");
            await using var database = await BenchDatabase.CreateAsync(options.PostgresAdmin);
            await using var host = await HostTopology.StartAsync(options, topology, database);
            var seed = await Seeder.SeedAsync(host.BaseAddress, options.Mentees);
            var result = await SoakRun.RunAsync(options, topology, host.BaseAddress, seed, [.. host.Processes.Select(process => process.Id)], postgresPort);
            foreach (var verdict in result.Verdicts)
            {
                Console.WriteLine($"bench:   soak verdict {verdict.Name}: {(verdict.Passed ? "holds" : "FAILS")} - {verdict.Detail}");
            }

            results.Add(result);
        }

        var output = Path.Combine(options.RepositoryRoot, options.Output);
        await SoakRun.WriteAsync(output, options, machine, results);
        Console.WriteLine($"bench: wrote the soak section of {output}");
    }

    /// <summary>
    /// The mixed profile at fixed rates, each a share of the req/s its closed-loop run just measured in this topology,
    /// with the same warm-up and duration as the wrk runs.
    /// </summary>
    private static async Task<List<OpenLoopResult>> RunOpenLoopAsync(
        BenchOptions options, Uri baseAddress, Uri baselineAddress, IReadOnlyList<BenchRequest> requests, double maximum, IReadOnlyList<ProcessGroup> groups)
    {
        var driver = new OpenLoopDriver(baseAddress, options.OpenLoopConnections, TimeSpan.FromSeconds(options.TimeoutSeconds));
        var results = new List<OpenLoopResult>();
        foreach (var share in options.OpenLoopShares)
        {
            var rate = Math.Max(1, Math.Round(maximum * share / 100));
            await WaitForQuietMachineAsync();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench:   {OpenLoopResult.ScenarioId,-16} {share} % of {maximum:0} = {rate:0} req/s for {options.DurationSeconds} s after {options.WarmupSeconds} s at that rate"));
            var result = await driver.RunAsync(requests, share, rate, options.WarmupSeconds, options.DurationSeconds, groups);
            results.Add(result);
            Console.WriteLine($"bench:   {OpenLoopResult.ScenarioId,-16} {OpenLoopDriver.Describe(result)}{(result.KeptSchedule ? "" : "  (driver behind schedule or server saturated)")}");
        }

        // The driver check: the highest rate again, against bare Kestrel (several times faster than the host), so what
        // it shows (send lag, latency, CPU) is the driver's own cost at that rate.
        var top = options.OpenLoopShares.Max();
        var checkRate = Math.Max(1, Math.Round(maximum * top / 100));
        await WaitForQuietMachineAsync();
        var check = await new OpenLoopDriver(baselineAddress, options.OpenLoopConnections, TimeSpan.FromSeconds(options.TimeoutSeconds))
            .RunAsync([new BenchRequest("GET", "/", new Dictionary<string, string>())], top, checkRate, options.WarmupSeconds, options.DurationSeconds, groups);
        results.Add(check with { DriverCheck = true });
        Console.WriteLine($"bench:   {OpenLoopResult.ScenarioId,-16} driver check against bare Kestrel: {OpenLoopDriver.Describe(check)}");
        return results;
    }

    /// <summary>
    /// This box may be shared (other builds and tests): before a scenario, wait up to 30 s for the machine to be
    /// nearly idle so the figures are less disturbed. What still ran during a measurement is the report's `other`.
    /// </summary>
    private static async Task WaitForQuietMachineAsync()
    {
        const double quietCores = 0.3;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var sampler = new CpuSampler([]);
            sampler.Start();
            await Task.Delay(TimeSpan.FromSeconds(1));
            var busy = sampler.Stop().MachineBusyCores;
            if (busy < quietCores)
            {
                return;
            }

            if (watch.Elapsed > TimeSpan.FromSeconds(30))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench:   (the machine is still busy: {busy:0.00} cores used by other work; measuring anyway)"));
                return;
            }
        }
    }

    private sealed record Baseline(ChildProcess Process, Uri BaseAddress, int DocumentBytes) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Process.DisposeAsync();
    }

    /// <summary>This executable again, as <c>baseline --port N</c>, so the baseline is a process of its own like the host.</summary>
    private static async Task<Baseline> StartBaselineAsync()
    {
        var port = ChildProcess.FreePort();
        var self = Environment.ProcessPath ?? "dotnet";
        var arguments = new List<string>();
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            arguments.Add(Assembly.GetExecutingAssembly().Location);
        }

        arguments.AddRange([BaselineServer.Command, "--port", port.ToString(CultureInfo.InvariantCulture)]);
        var process = ChildProcess.Start("bare kestrel", self, arguments, new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production" });
        var baseAddress = new Uri($"http://127.0.0.1:{port}/");
        try
        {
            await process.WaitUntilAnswersAsync(baseAddress, TimeSpan.FromMinutes(2));
            using var http = new HttpClient();
            var bytes = (await http.GetByteArrayAsync(baseAddress)).Length;
            return new Baseline(process, baseAddress, bytes);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }
}
