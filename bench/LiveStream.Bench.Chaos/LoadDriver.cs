using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace LiveStream.Bench.Chaos;

public enum WriteKind
{
    Schedule,
    Reaction,
    Comment,
}

/// <summary>A write the API answered with success: it must survive whatever happens next.</summary>
public sealed record AcknowledgedWrite(WriteKind Kind, string MentorId, string LiveId, string IdempotencyKey, string? Text, double AtSeconds, int Api);

/// <summary>A write whose outcome the client does not know (error or timeout): it may or may not have happened.</summary>
public sealed record UnknownWrite(WriteKind Kind, string LiveId, string IdempotencyKey);

/// <summary>One answer slower than <see cref="LoadDriver.SlowAnswer"/>: when it was sent, what, through which API, how it ended.</summary>
public sealed record SlowAnswer(double SentAtSeconds, string Operation, int Api, string Outcome, double Milliseconds);

/// <summary>Successes and errors of one second of the run, per operation.</summary>
public sealed class SecondStats
{
    public int Ok;
    public int Errors;
    public readonly ConcurrentDictionary<string, int> ErrorKinds = new(StringComparer.Ordinal);
    public long LatencyTicksSum;
    public long MaxLatencyTicks;
}

/// <summary>
/// Paced closed-loop workers spreading over both API processes: reads of session detail, reaction counts and
/// profiles, and acknowledged writes (reactions and comments with Idempotency-Keys, session scheduling).
/// A request counts as an error unless it got the success status the API documents; the client never
/// retries, so every error a user would see is counted.
/// </summary>
public sealed class LoadDriver(ChaosApi api, World world, ChaosOptions options, string runId, StreamWriter ackLog)
{
    private readonly ConcurrentDictionary<int, SecondStats> _seconds = new();
    private readonly ConcurrentQueue<AcknowledgedWrite> _acks = new();
    private readonly ConcurrentQueue<UnknownWrite> _unknown = new();
    private readonly ConcurrentDictionary<string, long> _maxLatencyByOperation = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<SlowAnswer> _slow = new();
    private readonly Stopwatch _clock = new();
    private long _sequence;

    /// <summary>Answers slower than this are listed one by one, so a slow second can be told apart by operation.</summary>
    public static readonly TimeSpan SlowAnswer = TimeSpan.FromSeconds(1);

    public double NowSeconds => _clock.Elapsed.TotalSeconds;

    public IReadOnlyDictionary<int, SecondStats> Seconds => _seconds;

    public IReadOnlyCollection<AcknowledgedWrite> Acknowledged => _acks;

    public IReadOnlyCollection<UnknownWrite> Unknown => _unknown;

    /// <summary>The slowest answer of each operation over the whole run.</summary>
    public IReadOnlyDictionary<string, TimeSpan> SlowestByOperation =>
        _maxLatencyByOperation.ToDictionary(pair => pair.Key, pair => TimeSpan.FromTicks(pair.Value), StringComparer.Ordinal);

    /// <summary>Every answer slower than <see cref="SlowAnswer"/>.</summary>
    public IReadOnlyCollection<SlowAnswer> Slow => _slow;

    public async Task RunAsync(CancellationToken stop)
    {
        _clock.Start();
        var perWorker = TimeSpan.FromSeconds(options.Workers / (double)options.Rate);
        await Task.WhenAll(Enumerable.Range(0, options.Workers).Select(worker => Task.Run(() => WorkAsync(worker, perWorker, stop))));
    }

    private async Task WorkAsync(int worker, TimeSpan interval, CancellationToken stop)
    {
        var random = new Random(worker * 7919 + 17);
        var next = _clock.Elapsed + TimeSpan.FromMilliseconds(random.Next(0, (int)interval.TotalMilliseconds + 1));
        while (!stop.IsCancellationRequested)
        {
            var wait = next - _clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            next += interval;
            if (next < _clock.Elapsed)
            {
                // Behind schedule (a slow answer): do not burst to catch up, a real client would not either.
                next = _clock.Elapsed + interval;
            }

            await OneRequestAsync(worker, random);
        }
    }

    private async Task OneRequestAsync(int worker, Random random)
    {
        var sequence = Interlocked.Increment(ref _sequence);
        var apiIndex = (int)(sequence % api.Count);
        var mentor = world.Mentors[random.Next(world.Mentors.Count)];
        var mentee = world.Mentees[random.Next(world.Mentees.Count)];
        var roll = random.Next(100);
        var started = _clock.Elapsed;
        string operation;
        HttpStatusCode expected;
        Func<Task<(HttpStatusCode, JsonElement)>> send;
        AcknowledgedWrite? write = null;

        if (roll < 25)
        {
            operation = "read-session";
            expected = HttpStatusCode.OK;
            send = () => api.SendAsync(apiIndex, HttpMethod.Get, $"/mentor/{mentor.Id}/live/{mentor.LiveId}", token: mentee.Token);
        }
        else if (roll < 45)
        {
            operation = "read-reactions";
            expected = HttpStatusCode.OK;
            send = () => api.SendAsync(apiIndex, HttpMethod.Get, $"/mentor/{mentor.Id}/live/{mentor.LiveId}/reaction?limit=5", token: mentee.Token);
        }
        else if (roll < 55)
        {
            operation = "read-mentor";
            expected = HttpStatusCode.OK;
            send = () => api.SendAsync(apiIndex, HttpMethod.Get, $"/mentor/{mentor.Id}", token: mentee.Token);
        }
        else if (roll < 85)
        {
            operation = "react";
            expected = HttpStatusCode.OK;
            var key = $"{runId}-r-{sequence}";
            write = new AcknowledgedWrite(WriteKind.Reaction, mentor.Id, mentor.LiveId, key, null, 0, apiIndex);
            var kind = Kinds[random.Next(Kinds.Length)];
            send = () => api.SendAsync(apiIndex, HttpMethod.Post, $"/mentor/{mentor.Id}/live/{mentor.LiveId}/reaction", new { reaction = kind }, mentee.Token, key);
        }
        else if (roll < 95)
        {
            operation = "comment";
            expected = HttpStatusCode.OK;
            var key = $"{runId}-c-{sequence}";
            var text = $"comment {key}";
            write = new AcknowledgedWrite(WriteKind.Comment, mentor.Id, mentor.LiveId, key, text, 0, apiIndex);
            send = () => api.SendAsync(apiIndex, HttpMethod.Post, $"/mentor/{mentor.Id}/live/{mentor.LiveId}/reaction", new { comment = text }, mentee.Token, key);
        }
        else
        {
            operation = "schedule";
            expected = HttpStatusCode.Created;
            var key = $"{runId}-s-{sequence}";
            write = new AcknowledgedWrite(WriteKind.Schedule, mentor.Id, "", key, null, 0, apiIndex);
            send = () => api.SendAsync(
                apiIndex, HttpMethod.Post, "/livestream/",
                new { mentorId = mentor.Id, courseId = mentor.CourseId, title = $"Scheduled {key}", scheduledStart = DateTimeOffset.UtcNow.AddDays(1) }, mentor.Token, key);
        }

        string? error = null;
        JsonElement body = default;
        try
        {
            (var status, body) = await send();
            if (status != expected)
            {
                error = $"{operation} {(int)status}";
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            error = $"{operation} {exception.GetType().Name}";
        }

        // Counted in the second the user got the answer: an error after a 10 s wait is an error then, not at the start.
        var finished = _clock.Elapsed;
        var elapsed = finished - started;
        var second = _seconds.GetOrAdd((int)finished.TotalSeconds, _ => new SecondStats());
        Interlocked.Add(ref second.LatencyTicksSum, elapsed.Ticks);
        InterlockedMax(ref second.MaxLatencyTicks, elapsed.Ticks);
        _maxLatencyByOperation.AddOrUpdate(operation, elapsed.Ticks, (_, current) => Math.Max(current, elapsed.Ticks));
        if (elapsed >= SlowAnswer)
        {
            _slow.Enqueue(new SlowAnswer(started.TotalSeconds, operation, apiIndex + 1, error ?? "ok", elapsed.TotalMilliseconds));
        }

        if (error is null)
        {
            Interlocked.Increment(ref second.Ok);
            if (write is not null)
            {
                var liveId = write.Kind == WriteKind.Schedule ? body.GetProperty("liveId").GetString()! : write.LiveId;
                var acknowledged = write with { LiveId = liveId, AtSeconds = _clock.Elapsed.TotalSeconds };
                _acks.Enqueue(acknowledged);
                lock (ackLog)
                {
                    ackLog.WriteLine(JsonSerializer.Serialize(acknowledged, JsonSerializerOptions.Web));
                }
            }
        }
        else
        {
            Interlocked.Increment(ref second.Errors);
            second.ErrorKinds.AddOrUpdate(error, 1, (_, count) => count + 1);
            if (write is not null)
            {
                _unknown.Enqueue(new UnknownWrite(write.Kind, write.LiveId, write.IdempotencyKey));
            }
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private static readonly string[] Kinds = ["like", "clap", "heart", "laugh", "insightful", "question"];
}
