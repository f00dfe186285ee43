using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;

namespace LiveStream.Bench;

/// <summary>One interval of a soak: what completed in it, how fast, and the host's memory and CPU at its end.</summary>
public sealed record SoakBucket(
    int Index,
    double EndMinutes,
    IReadOnlyDictionary<string, long> Completed,
    long Errors,
    double P50Milliseconds,
    double P99Milliseconds,
    int OpenViewers,
    double HostRssMiB,
    double HostCores,
    double PostgresCores)
{
    public long Total => Completed.Values.Sum();
}

public sealed record SoakVerdict(string Name, bool Passed, string Detail);

/// <summary>The host processes' summed live managed heap (<see cref="LiveHeapProbe"/>) at a point of the run.</summary>
public sealed record LiveHeapSample(double AtMinutes, double MiB);

public sealed record SoakResult(
    Topology Topology, double Rate, int IntervalSeconds, IReadOnlyList<SoakBucket> Buckets, int WarmBuckets, int MemoryBuckets,
    double ThroughputBaseline, double RssSlopeMiBPerMinute, IReadOnlyList<SoakVerdict> Verdicts, long SessionsScheduled)
{
    public IReadOnlyDictionary<string, (double P50, double P99)> LatencyByKind { get; init; } = new Dictionary<string, (double, double)>();

    public IReadOnlyDictionary<string, long> ErrorsByKind { get; init; } = new Dictionary<string, long>();
}

/// <summary>
/// The churn soak: at a fixed rate, a mentor schedules sessions and cancels each a few seconds later (its history
/// grows all run long), viewers open the live session's feed (SSE) and leave after 5-15 s, mentees react, comment
/// and read. Per interval: completed operations by kind, latency, open feeds, and the host processes' resident memory
/// and CPU. A write whose cost grows with history shows as falling throughput (the fixed rate can no longer be
/// served), rising latency or rising CPU per operation; a leak as a memory slope after the warm-up.
/// </summary>
public static class SoakRun
{
    public const string MarkerStart = "<!-- soak:start -->";
    public const string MarkerEnd = "<!-- soak:end -->";

    /// <summary>Operation kinds and their weights in the fixed-rate sequence (a schedule is followed by its cancel).</summary>
    private static readonly (string Kind, int Weight)[] Mix =
    [
        ("schedule", 1), ("viewer-join", 2), ("reaction", 6), ("comment", 8), ("session-detail", 5), ("mentor-page", 3), ("reactions-get", 3),
    ];

    private static readonly TimeSpan CancelAfter = TimeSpan.FromSeconds(2);

    public static async Task<SoakResult> RunAsync(BenchOptions options, Topology topology, Uri baseAddress, SeedData seed, IReadOnlyList<int> hostPids, int postgresPort)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 128, UseCookies = false, UseProxy = false, AllowAutoRedirect = false, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
        // Feeds hold their connection for seconds: their own pool, so they never queue the requests behind them.
        using var feedHandler = new SocketsHttpHandler { UseCookies = false, UseProxy = false, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var feeds = new HttpClient(feedHandler) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };

        var sequence = Mix.SelectMany(entry => Enumerable.Repeat(entry.Kind, entry.Weight)).ToArray();
        // Interleave the kinds so each second carries the mix, not runs of one kind.
        sequence = [.. sequence.Select((kind, i) => (kind, key: (i * 7919) % sequence.Length)).OrderBy(pair => pair.key).Select(pair => pair.kind)];
        var interval = TimeSpan.FromSeconds(options.SoakIntervalSeconds);
        var bucketCount = Math.Max(1, (int)(options.SoakMinutes * 60 / options.SoakIntervalSeconds));
        var state = new SoakState(bucketCount);
        var frequency = Stopwatch.Frequency;
        var start = Stopwatch.GetTimestamp() + (frequency / 10);
        var end = start + (long)(bucketCount * interval.TotalSeconds * frequency);
        var tick = frequency / options.SoakRate;
        var random = new Random(15);
        using var stop = new CancellationTokenSource();

        var pacer = Task.Factory.StartNew(() =>
        {
            long index = 0;
            while (true)
            {
                var now = Stopwatch.GetTimestamp();
                long due;
                while ((due = start + (long)(index * tick)) <= now)
                {
                    if (due >= end)
                    {
                        return;
                    }

                    var kind = sequence[index % sequence.Length];
                    var mentee = seed.Mentees[(int)(index % seed.Mentees.Count)];
                    var hold = TimeSpan.FromSeconds(5 + random.Next(11));
                    _ = Task.Run(() => OperationAsync(kind, http, feeds, seed, mentee.Token, hold, state, start, interval, stop.Token));
                    index++;
                }

                Thread.Sleep(1); // nothing due: what falls due meanwhile goes out as one batch (no spinning)
            }
        }, TaskCreationOptions.LongRunning);

        var groups = new List<ProcessGroup>
        {
            ProcessGroup.Processes("host", () => hostPids),
            ProcessGroup.Processes("postgres", () => CpuSampler.PostgresPids(postgresPort)),
        };
        var buckets = new List<SoakBucket>();
        var warm = WarmBuckets(options, bucketCount);
        Task<LiveHeapSample?>? warmHeap = null;
        for (var b = 0; b < bucketCount; b++)
        {
            var sampler = new CpuSampler(groups);
            sampler.Start();
            var bucketEnd = start + (long)((b + 1) * interval.TotalSeconds * frequency);
            var wait = TimeSpan.FromSeconds((bucketEnd - Stopwatch.GetTimestamp()) / (double)frequency);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            var cpu = sampler.Stop();
            var bucket = state.Close(b, (b + 1) * interval.TotalMinutes, HistoryProbe.ResidentMiB(hostPids),
                cpu.Groups.First(group => group.Name == "host").Cores, cpu.Groups.First(group => group.Name == "postgres").Cores);
            buckets.Add(bucket);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bench:   soak {bucket.EndMinutes,6:0.0} min  {bucket.Total / interval.TotalSeconds,7:0.0} ops/s  errors {bucket.Errors,5}  p99 {bucket.P99Milliseconds,8:0.0} ms  feeds {bucket.OpenViewers,4}  host RSS {bucket.HostRssMiB,6:0} MiB  host {bucket.HostCores:0.00} cores"));
            if (b == warm - 1)
            {
                // Alongside the next interval: the load goes on while the snapshot is taken.
                warmHeap = SampleLiveHeapAsync(bucket.EndMinutes, hostPids);
            }
        }

        // Before the load stops, so the host holds what a running system holds.
        var endHeap = await SampleLiveHeapAsync(buckets[^1].EndMinutes, hostPids);
        await pacer;
        await stop.CancelAsync(); // open feeds close; operations still running are past the last interval and not counted

        (LiveHeapSample, LiveHeapSample)? heaps = warmHeap is null || await warmHeap is not { } first || endHeap is null ? null : (first, endHeap);
        return Evaluate(options, topology, buckets, state.SessionsScheduled, heaps) with { LatencyByKind = state.ByKind(), ErrorsByKind = state.ErrorsByKind() };
    }

    /// <summary>Warm-up: the first five minutes (a third of a shorter run).</summary>
    private static int WarmBuckets(BenchOptions options, int bucketCount) =>
        Math.Max(1, Math.Min((int)Math.Round(5 * 60.0 / options.SoakIntervalSeconds), bucketCount / 3));

    private static async Task<LiveHeapSample?> SampleLiveHeapAsync(double atMinutes, IReadOnlyList<int> hostPids)
    {
        if (await LiveHeapProbe.LiveHeapMiBAsync(hostPids) is not { } mib)
        {
            return null;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench:   soak {atMinutes,6:0.0} min  live heap after a full collection {mib:0.0} MiB"));
        return new LiveHeapSample(atMinutes, mib);
    }

    /// <summary>
    /// Throughput: every interval after the warm-up within 10 % of the warm-up's mean. Memory: what the host processes
    /// hold alive (their managed heap right after a full collection, <see cref="LiveHeapProbe"/>) grows less than
    /// <c>--soak-memory-slope</c> MiB per minute from the warm-up's end to the run's end; the least-squares slope of their
    /// RSS over the last ten minutes is reported beside it, and decides when no heap snapshot could be taken.
    /// </summary>
    public static SoakResult Evaluate(
        BenchOptions options, Topology topology, IReadOnlyList<SoakBucket> buckets, long sessionsScheduled, (LiveHeapSample Warm, LiveHeapSample End)? liveHeap = null)
    {
        var perMinute = 60.0 / options.SoakIntervalSeconds;
        var warm = WarmBuckets(options, buckets.Count);
        var baseline = buckets.Take(warm).Average(bucket => (double)bucket.Total);
        var later = buckets.Skip(warm).ToList();
        var worst = later.Count == 0 ? null : later.MaxBy(bucket => Math.Abs(bucket.Total - baseline));
        var throughputHolds = later.All(bucket => Math.Abs(bucket.Total - baseline) <= 0.10 * baseline);
        var memoryBuckets = Math.Min((int)Math.Round(10 * perMinute), later.Count);
        var window = later.Skip(later.Count - memoryBuckets).ToList();
        var slope = Slope(window.Select(bucket => (bucket.EndMinutes, bucket.HostRssMiB)).ToList());
        var cpuPerOp = (IReadOnlyList<SoakBucket> set) => set.Sum(bucket => bucket.HostCores) / Math.Max(1, set.Sum(bucket => bucket.Total));
        var cpuRatio = later.Count == 0 ? double.NaN : cpuPerOp(window) / cpuPerOp(buckets.Take(warm).ToList());

        var verdicts = new List<SoakVerdict>
        {
            new("throughput", later.Count > 0 && throughputHolds, later.Count == 0
                ? "no interval after the warm-up: run longer"
                : string.Create(CultureInfo.InvariantCulture, $"first {warm} interval(s) mean {baseline / options.SoakIntervalSeconds:0.0} ops/s; every later interval within 10 %: {(throughputHolds ? "yes" : "no")}, furthest {100 * (worst!.Total - baseline) / baseline:+0.0;-0.0} % at {worst.EndMinutes:0.0} min")),
            MemoryVerdict(options, window, slope, liveHeap),
            new("cpu per operation", later.Count > 0 && cpuRatio <= 1.10, later.Count == 0
                ? "no interval after the warm-up"
                : string.Create(CultureInfo.InvariantCulture, $"host CPU per operation in that window {1e6 * options.SoakIntervalSeconds * cpuPerOp(window):0} µs against {1e6 * options.SoakIntervalSeconds * cpuPerOp(buckets.Take(warm).ToList()):0} µs in the warm-up ({cpuRatio:0.00}x, limit 1.10x): catches a cost that grows with history while the fixed rate is still served")),
        };
        return new SoakResult(topology, options.SoakRate, options.SoakIntervalSeconds, buckets, warm, window.Count, baseline, slope, verdicts, sessionsScheduled);
    }

    private static SoakVerdict MemoryVerdict(BenchOptions options, IReadOnlyList<SoakBucket> window, double rssSlope, (LiveHeapSample Warm, LiveHeapSample End)? liveHeap)
    {
        if (window.Count < 2)
        {
            return new("memory", false, "fewer than two intervals after the warm-up: run longer");
        }

        var rss = string.Create(CultureInfo.InvariantCulture,
            $"host RSS slope over the last {window.Count} interval(s) ({window[0].EndMinutes - (options.SoakIntervalSeconds / 60.0):0.0}-{window[^1].EndMinutes:0.0} min) {rssSlope:+0.00;-0.00} MiB/min ({window[0].HostRssMiB:0} -> {window[^1].HostRssMiB:0} MiB)");
        if (liveHeap is not ({ } warm, { } end) || end.AtMinutes <= warm.AtMinutes)
        {
            return new("memory", rssSlope < options.SoakMemorySlope, string.Create(CultureInfo.InvariantCulture, $"{rss}, limit {options.SoakMemorySlope:0.0} MiB/min (no heap snapshot: dotnet-gcdump missing or failed)"));
        }

        var heapSlope = (end.MiB - warm.MiB) / (end.AtMinutes - warm.AtMinutes);
        return new("memory", heapSlope < options.SoakMemorySlope, string.Create(CultureInfo.InvariantCulture,
            $"live heap after a full collection {warm.MiB:0.0} MiB at {warm.AtMinutes:0.0} min -> {end.MiB:0.0} MiB at {end.AtMinutes:0.0} min ({heapSlope:+0.00;-0.00} MiB/min, limit {options.SoakMemorySlope:0.0} MiB/min); {rss}: the GC's committed memory, which includes garbage not collected yet"));
    }

    private static double Slope(IReadOnlyList<(double X, double Y)> points)
    {
        if (points.Count < 2)
        {
            return double.NaN;
        }

        var meanX = points.Average(point => point.X);
        var meanY = points.Average(point => point.Y);
        var numerator = points.Sum(point => (point.X - meanX) * (point.Y - meanY));
        var denominator = points.Sum(point => (point.X - meanX) * (point.X - meanX));
        return denominator == 0 ? double.NaN : numerator / denominator;
    }

    private static async Task OperationAsync(
        string kind, HttpClient http, HttpClient feeds, SeedData seed, string menteeToken, TimeSpan hold, SoakState state, long start, TimeSpan interval, CancellationToken stop)
    {
        var began = Stopwatch.GetTimestamp();
        var session = $"mentor/{seed.MentorId}/live/{seed.LiveId}";
        bool ok;
        try
        {
            switch (kind)
            {
                case "schedule":
                    var number = state.NextSession();
                    using (var created = await SendAsync(http, HttpMethod.Post, "livestream/", seed.MentorToken, new
                    {
                        mentorId = seed.MentorId,
                        courseId = seed.CourseId,
                        title = $"Soak session {number.ToString(CultureInfo.InvariantCulture)}",
                        // Two minutes apart from tomorrow on: a distinct start for every session of the run.
                        scheduledStart = DateTimeOffset.UtcNow.AddDays(1).AddMinutes(number * 2),
                    }))
                    {
                        ok = created.IsSuccessStatusCode;
                        state.Record(kind, ok, Stopwatch.GetTimestamp() - began, start, interval);
                        if (!ok)
                        {
                            return;
                        }

                        var liveId = (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("liveId").GetString();
                        await Task.Delay(CancelAfter, stop);
                        var cancelBegan = Stopwatch.GetTimestamp();
                        using var cancelled = await SendAsync(http, HttpMethod.Delete, $"livestream/{liveId}", seed.MentorToken, null);
                        state.Record("cancel", cancelled.IsSuccessStatusCode, Stopwatch.GetTimestamp() - cancelBegan, start, interval);
                    }

                    return;
                case "viewer-join":
                    using (var request = new HttpRequestMessage(HttpMethod.Get, $"{session}/reaction/stream"))
                    {
                        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", menteeToken);
                        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
                        using var response = await feeds.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop);
                        ok = response.IsSuccessStatusCode;
                        state.Record(kind, ok, Stopwatch.GetTimestamp() - began, start, interval);
                        if (!ok)
                        {
                            return;
                        }

                        // Read the feed like a client for the viewer's stay, then leave (the connection closes).
                        state.ViewerJoined();
                        try
                        {
                            using var leave = CancellationTokenSource.CreateLinkedTokenSource(stop);
                            leave.CancelAfter(hold);
                            await using var body = await response.Content.ReadAsStreamAsync(leave.Token);
                            var buffer = new byte[4096];
                            while (await body.ReadAsync(buffer, leave.Token) > 0)
                            {
                            }
                        }
                        catch (OperationCanceledException)
                        {
                        }
                        finally
                        {
                            state.ViewerLeft();
                        }
                    }

                    return;
                default:
                    using (var response = kind switch
                    {
                        "reaction" => await SendAsync(http, HttpMethod.Post, $"{session}/reaction", menteeToken, new { reaction = "clap" }),
                        "comment" => await SendAsync(http, HttpMethod.Post, $"{session}/reaction", menteeToken, new { comment = "Could you show the table again?" }),
                        "session-detail" => await SendAsync(http, HttpMethod.Get, session, menteeToken, null),
                        "mentor-page" => await SendAsync(http, HttpMethod.Get, $"mentor/{seed.MentorId}", menteeToken, null),
                        "reactions-get" => await SendAsync(http, HttpMethod.Get, $"{session}/reaction", menteeToken, null),
                        _ => throw new InvalidOperationException($"Unknown soak operation {kind}."),
                    })
                    {
                        await response.Content.LoadIntoBufferAsync();
                        state.Record(kind, response.IsSuccessStatusCode, Stopwatch.GetTimestamp() - began, start, interval);
                    }

                    return;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or IOException)
        {
            state.Record(kind, false, Stopwatch.GetTimestamp() - began, start, interval);
        }
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string token, object? body)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http.SendAsync(request);
    }

    /// <summary>Counts and latencies per interval, keyed by completion time.</summary>
    private sealed class SoakState(int buckets)
    {
        private readonly Dictionary<string, long>[] _completed = [.. Enumerable.Range(0, buckets).Select(_ => new Dictionary<string, long>())];
        private readonly long[] _errors = new long[buckets];
        private readonly List<long>[] _latencies = [.. Enumerable.Range(0, buckets).Select(_ => new List<long>())];
        private readonly Dictionary<string, List<long>> _byKind = [];
        private readonly Dictionary<string, long> _errorsByKind = [];

        public IReadOnlyDictionary<string, long> ErrorsByKind()
        {
            lock (_errorsByKind)
            {
                return new Dictionary<string, long>(_errorsByKind);
            }
        }
        private long _sessions;
        private int _viewers;

        /// <summary>p50 / p99 per operation kind over the whole run (ms): shows which operation a slow interval waited on.</summary>
        public IReadOnlyDictionary<string, (double P50, double P99)> ByKind()
        {
            lock (_byKind)
            {
                return _byKind.ToDictionary(pair => pair.Key, pair =>
                {
                    var sorted = pair.Value.ToArray();
                    Array.Sort(sorted);
                    double Percentile(double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)] * 1000.0 / Stopwatch.Frequency;
                    return (Percentile(0.50), Percentile(0.99));
                });
            }
        }

        public long SessionsScheduled => Interlocked.Read(ref _sessions);

        public long NextSession() => Interlocked.Increment(ref _sessions);

        public void ViewerJoined() => Interlocked.Increment(ref _viewers);

        public void ViewerLeft() => Interlocked.Decrement(ref _viewers);

        public void Record(string kind, bool ok, long latencyTicks, long start, TimeSpan interval)
        {
            var bucket = (int)((Stopwatch.GetTimestamp() - start) / (interval.TotalSeconds * Stopwatch.Frequency));
            if (bucket < 0 || bucket >= _errors.Length)
            {
                return;
            }

            lock (_completed[bucket])
            {
                if (ok)
                {
                    _completed[bucket][kind] = _completed[bucket].GetValueOrDefault(kind) + 1;
                    _latencies[bucket].Add(latencyTicks);
                    lock (_byKind)
                    {
                        if (!_byKind.TryGetValue(kind, out var list))
                        {
                            _byKind[kind] = list = [];
                        }

                        list.Add(latencyTicks);
                    }
                }
                else
                {
                    _errors[bucket]++;
                    lock (_errorsByKind)
                    {
                        _errorsByKind[kind] = _errorsByKind.GetValueOrDefault(kind) + 1;
                    }
                }
            }
        }

        public SoakBucket Close(int index, double endMinutes, double rssMiB, double hostCores, double postgresCores)
        {
            // Operations finishing a moment after the boundary still land in this bucket's slot; read it under its lock.
            lock (_completed[index])
            {
                var sorted = _latencies[index].ToArray();
                Array.Sort(sorted);
                double Percentile(double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)] * 1000.0 / Stopwatch.Frequency;
                return new SoakBucket(index, endMinutes, new Dictionary<string, long>(_completed[index]), _errors[index], Percentile(0.50), Percentile(0.99),
                    Volatile.Read(ref _viewers), rssMiB, hostCores, postgresCores);
            }
        }
    }

    /// <summary>The soak section of the report, between its markers; the rest of the file is left as it is.</summary>
    public static async Task WriteAsync(string path, BenchOptions options, MachineInfo machine, IReadOnlyList<SoakResult> results)
    {
        var md = new StringBuilder();
        void Line(FormattableString text) => md.Append(string.Create(CultureInfo.InvariantCulture, $"{text}")).Append('\n');
        Line($"{MarkerStart}");
        Line($"## Churn soak");
        Line($"");
        Line($"Written by `bench/LiveStream.Bench --soak` ({machine.Date:yyyy-MM-dd HH:mm} UTC, {machine.Cores} cores, command `{options.Command ?? "LiveStream.Bench " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}`). At a fixed {options.SoakRate:0} operations/s for {options.SoakMinutes} min: the seeded mentor schedules a session and cancels it {CancelAfter.TotalSeconds:0} s later (its history grows all run), viewers open the live session's feed (`GET .../reaction/stream`, SSE) and leave after 5-15 s, mentees react, comment and read (weights: {string.Join(", ", Mix.Select(entry => $"{entry.Kind} {entry.Weight}"))}, each schedule followed by its cancel). Per {options.SoakIntervalSeconds} s interval: operations completed (2xx) by completion time, errors, latency from send to answer (feeds: to the response headers), feeds open at its end, the host processes' summed resident memory (VmRSS) at its end and their CPU over it.");
        Line($"");
        foreach (var result in results)
        {
            Line($"### Topology `{result.Topology.Name()}`");
            Line($"");
            foreach (var verdict in result.Verdicts)
            {
                Line($"- **{verdict.Name}: {(verdict.Passed ? "holds" : "FAILS")}** — {verdict.Detail}");
            }

            Line($"- sessions scheduled (and cancelled) by the mentor during the run: {result.SessionsScheduled:N0}");
            var byKind = result.Buckets.SelectMany(bucket => bucket.Completed).GroupBy(pair => pair.Key).OrderBy(group => group.Key, StringComparer.Ordinal)
                .Select(group => $"{group.Key} {group.Sum(pair => pair.Value):N0}");
            Line($"- completed by kind over the run: {string.Join(", ", byKind)}; errors {result.Buckets.Sum(bucket => bucket.Errors):N0}{(result.ErrorsByKind.Count == 0 ? "" : $" ({string.Join(", ", result.ErrorsByKind.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Key} {pair.Value:N0}"))})")} (non-2xx, transport errors and 10 s timeouts)");
            Line($"- latency by kind over the run, p50 / p99: {string.Join(", ", result.LatencyByKind.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => string.Create(CultureInfo.InvariantCulture, $"{pair.Key} {pair.Value.P50:0.0} / {pair.Value.P99:0.0} ms")))}");
            Line($"");
            Line($"| until | ops/s | errors | p50 | p99 | feeds open | host RSS | host CPU | postgres CPU | host CPU per op |");
            Line($"|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var bucket in result.Buckets)
            {
                Line($"| {bucket.EndMinutes:0.0} min{(bucket.Index < result.WarmBuckets ? " (warm-up)" : "")} | {bucket.Total / (double)result.IntervalSeconds:0.0} | {bucket.Errors} | {bucket.P50Milliseconds:0.0} ms | {bucket.P99Milliseconds:0.0} ms | {bucket.OpenViewers} | {bucket.HostRssMiB:0} MiB | {bucket.HostCores:0.00} | {bucket.PostgresCores:0.00} | {(bucket.Total == 0 ? "n/a" : $"{1e6 * bucket.HostCores * result.IntervalSeconds / bucket.Total:0} µs")} |");
            }

            Line($"");
        }

        md.Append(MarkerEnd).Append('\n');
        var previous = File.Exists(path) ? await File.ReadAllTextAsync(path) : "";
        var startAt = previous.IndexOf(MarkerStart, StringComparison.Ordinal);
        var endAt = previous.IndexOf(MarkerEnd, StringComparison.Ordinal);
        var text = startAt >= 0 && endAt > startAt
            ? previous[..startAt] + md + (previous[(endAt + MarkerEnd.Length)..].TrimStart('\n') is { Length: > 0 } rest ? "\n" + rest : "")
            : previous.TrimEnd('\n') + (previous.Length > 0 ? "\n\n" : "") + md;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, text);
    }
}
