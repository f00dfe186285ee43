using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace LiveStream.Bench;

/// <summary>
/// What one fixed-rate run gave. Latencies count from each request's <em>scheduled</em> send time, so a request that
/// waited for a free connection or for the server to catch up carries that wait (no coordinated omission).
/// </summary>
public sealed record OpenLoopResult(
    double Share,
    double TargetRate,
    double AchievedRate,
    long Sent,
    long Answered,
    IReadOnlyDictionary<int, long> Statuses,
    long TransportErrors,
    long Unfinished,
    double P50Milliseconds,
    double P99Milliseconds,
    double P999Milliseconds,
    double MaxMilliseconds,
    double SendLagP99Milliseconds,
    CpuSplit Cpu)
{
    public const string ScenarioId = "open-loop";

    /// <summary>True for the driver check: the same rate against bare Kestrel, where any latency is the driver's own.</summary>
    public bool DriverCheck { get; init; }

    public long Non2xx => Statuses.Where(pair => pair.Key is < 200 or > 299).Sum(pair => pair.Value);

    public long Errors => Non2xx + TransportErrors + Unfinished;

    /// <summary>
    /// The driver kept its schedule: it sent what was due within a millisecond or two (p99 of its own lag) and got at
    /// least 98 % of the target answered. Otherwise the figures measure the driver or a saturated server, not the
    /// latency at that rate.
    /// </summary>
    public bool KeptSchedule => SendLagP99Milliseconds <= 2 && AchievedRate >= 0.98 * TargetRate;

    public string ErrorSummary
    {
        get
        {
            if (Errors == 0)
            {
                return "0";
            }

            var parts = new List<string>();
            if (Non2xx > 0)
            {
                parts.Add($"{Non2xx} non-2xx ({string.Join(", ", Statuses.Where(pair => pair.Key is < 200 or > 299).OrderBy(pair => pair.Key).Select(pair => $"{pair.Key} x{pair.Value}"))})");
            }

            if (TransportErrors > 0)
            {
                parts.Add($"{TransportErrors} transport errors or timeouts");
            }

            if (Unfinished > 0)
            {
                parts.Add($"{Unfinished} unanswered at the end");
            }

            return string.Join("; ", parts);
        }
    }
}

/// <summary>
/// A rate-paced HTTP driver (the open-loop counterpart of wrk, whose Debian build has no wrk2-style <c>-R</c>):
/// request i is due at start + i / rate whatever happened to the requests before it. A pacing thread sends every
/// due request without waiting for answers; SocketsHttpHandler queues a request when all connections are busy,
/// and that queueing is part of its latency. It runs inside the bench process, whose CPU is reported as the
/// driver's so a run where the driver itself saturates shows.
/// </summary>
public sealed class OpenLoopDriver(Uri baseAddress, int connections, TimeSpan timeout)
{
    private sealed record Template(HttpMethod Method, Uri Uri, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[]? Body, string? ContentType);

    public async Task<OpenLoopResult> RunAsync(
        IReadOnlyList<BenchRequest> requests, double share, double rate, int warmupSeconds, int seconds, IReadOnlyList<ProcessGroup> groups)
    {
        var templates = Templates(requests);
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        };
        using var http = new HttpClient(handler) { Timeout = timeout };

        // Pre-allocated, one slot per measured request: recording is an Interlocked increment and a store.
        var expected = (int)Math.Ceiling(rate * seconds * 1.05) + 16;
        var recorder = new Recorder(expected);
        var frequency = Stopwatch.Frequency;
        var interval = frequency / rate;
        var start = Stopwatch.GetTimestamp() + (frequency / 10);
        var measureFrom = start + (long)(warmupSeconds * frequency);
        var end = measureFrom + (long)(seconds * frequency);
        var pending = new HashSet<Task>();

        var sampler = new CpuSampler([.. groups, ProcessGroup.Processes("driver", () => [Environment.ProcessId])]);
        var cpuStarted = false;
        var pacer = Task.Factory.StartNew(() =>
        {
            long index = 0;
            while (true)
            {
                var now = Stopwatch.GetTimestamp();
                if (!cpuStarted && now >= measureFrom)
                {
                    sampler.Start();
                    cpuStarted = true;
                }

                long due;
                while ((due = start + (long)(index * interval)) <= now)
                {
                    if (due >= end)
                    {
                        return;
                    }

                    var measured = due >= measureFrom;
                    var lag = now - due;
                    var task = SendAsync(http, templates[(int)(index % templates.Count)], due, measured ? recorder : null, lag);
                    lock (pending)
                    {
                        pending.Add(task);
                    }

                    _ = task.ContinueWith(done => { lock (pending) { pending.Remove(done); } }, TaskScheduler.Default);
                    index++;
                }

                // Nothing due: sleep (about a millisecond) and send what fell due meanwhile as one batch. Spinning until
                // the next slot instead would keep a core busy at every rate and take it from the server on a small box;
                // the batching delay is in the send lag and, since latency counts from the schedule, in the latencies.
                Thread.Sleep(1);
            }
        }, TaskCreationOptions.LongRunning);

        await pacer;
        var cpu = cpuStarted ? sampler.Stop() : new CpuSplit([], 0, Environment.ProcessorCount);
        Task[] outstanding;
        lock (pending)
        {
            outstanding = [.. pending];
        }

        // The last requests get their timeout to finish; what is still open then counts as unanswered.
        await Task.WhenAny(Task.WhenAll(outstanding), Task.Delay(timeout + TimeSpan.FromSeconds(1)));
        long unfinished;
        lock (pending)
        {
            unfinished = pending.Count;
        }

        return recorder.Result(share, rate, seconds, unfinished, cpu);
    }

    private List<Template> Templates(IReadOnlyList<BenchRequest> requests)
    {
        // The weighted sequence of lua/bench.lua, interleaved the same way: each request repeated by its weight.
        var list = new List<Template>();
        foreach (var request in requests)
        {
            var headers = request.Headers.Where(pair => !pair.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).ToList();
            var template = new Template(
                new HttpMethod(request.Method), new Uri(baseAddress, request.Path), headers,
                request.Body is null ? null : Encoding.UTF8.GetBytes(request.Body),
                request.Headers.FirstOrDefault(pair => pair.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).Value);
            for (var i = 0; i < request.Weight; i++)
            {
                list.Add(template);
            }
        }

        return list;
    }

    private static async Task SendAsync(HttpClient http, Template template, long due, Recorder? recorder, long lagTicks)
    {
        await Task.Yield(); // off the pacing thread at once
        try
        {
            using var request = new HttpRequestMessage(template.Method, template.Uri) { Version = HttpVersion.Version11 };
            foreach (var (name, value) in template.Headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            if (template.Body is { } body)
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.TryAddWithoutValidation("Content-Type", template.ContentType ?? "application/json");
            }

            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
            recorder?.Answer((int)response.StatusCode, Stopwatch.GetTimestamp() - due, lagTicks);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or IOException)
        {
            recorder?.TransportError(lagTicks);
        }
    }

    /// <summary>Latencies and send lags in stopwatch ticks, and status counts, of the measured window.</summary>
    private sealed class Recorder(int capacity)
    {
        private readonly long[] _latencies = new long[capacity];
        private readonly long[] _lags = new long[capacity];
        private readonly Dictionary<int, long> _statuses = [];
        private int _count;
        private int _lagCount;
        private long _sent;
        private long _transportErrors;

        public void Answer(int status, long latencyTicks, long lagTicks)
        {
            Interlocked.Increment(ref _sent);
            var slot = Interlocked.Increment(ref _count) - 1;
            if (slot < _latencies.Length)
            {
                _latencies[slot] = latencyTicks;
            }

            Lag(lagTicks);
            lock (_statuses)
            {
                _statuses[status] = _statuses.GetValueOrDefault(status) + 1;
            }
        }

        public void TransportError(long lagTicks)
        {
            Interlocked.Increment(ref _sent);
            Interlocked.Increment(ref _transportErrors);
            Lag(lagTicks);
        }

        private void Lag(long lagTicks)
        {
            var slot = Interlocked.Increment(ref _lagCount) - 1;
            if (slot < _lags.Length)
            {
                _lags[slot] = lagTicks;
            }
        }

        public OpenLoopResult Result(double share, double rate, int seconds, long unfinished, CpuSplit cpu)
        {
            var answered = Math.Min(_count, _latencies.Length);
            var latencies = _latencies[..answered];
            Array.Sort(latencies);
            var lags = _lags[..Math.Min(_lagCount, _lags.Length)];
            Array.Sort(lags);
            double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
            double Percentile(long[] sorted, double p) => sorted.Length == 0 ? double.NaN : Ms(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)]);
            return new OpenLoopResult(
                share, rate, answered / (double)seconds, _sent + unfinished, answered, new Dictionary<int, long>(_statuses), _transportErrors, unfinished,
                Percentile(latencies, 0.50), Percentile(latencies, 0.99), Percentile(latencies, 0.999),
                latencies.Length == 0 ? double.NaN : Ms(latencies[^1]), Percentile(lags, 0.99), cpu);
        }
    }

    public static string Describe(OpenLoopResult result) => string.Create(CultureInfo.InvariantCulture,
        $"{result.Share:0} % = {result.TargetRate:0} req/s: achieved {result.AchievedRate:0}, p50 {result.P50Milliseconds:0.00} ms, p99 {result.P99Milliseconds:0.00} ms, p99.9 {result.P999Milliseconds:0.00} ms, send lag p99 {result.SendLagP99Milliseconds:0.00} ms, errors {result.ErrorSummary}");
}
