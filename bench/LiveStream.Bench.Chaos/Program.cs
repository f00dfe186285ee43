using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using LiveStream.Bench.Chaos;

// Fault-tolerance run against the local cluster of scripts/cluster.sh (3 silos, 2 API processes):
//   steady   load only
//   kill     kill -9 of the silo hosting the most live sessions mid-run: error window, lost writes, re-homed sessions
//   rolling  SIGTERM + restart of every silo in turn under load: failed requests
//   db-stop      PostgreSQL stopped (fast) for --down s, then started
//   db-kill      PostgreSQL killed (stop -m immediate, a crash) for --down s, then started
//   db-freeze    every PostgreSQL process SIGSTOPped for --down s, then SIGCONTed (a hung database)
//   db-failover  the primary killed and the streaming replica promoted (CLUSTER_REPLICA=1 scripts/cluster.sh start)
// See docs/operations.md "Fault tolerance" for the commands and figures.
var options = ChaosOptions.Parse(args);
var culture = CultureInfo.InvariantCulture;
var runId = DateTimeOffset.UtcNow.ToString("HHmmss", culture) + Random.Shared.Next(100, 999).ToString(culture);
Directory.CreateDirectory(options.OutputDirectory);
var prefix = Path.Combine(options.OutputDirectory, $"chaos-{options.Scenario}");
Console.WriteLine($"chaos: run {runId}, scenario {options.Scenario}, {options.Workers} workers at {options.Rate} req/s over {options.Apis.Count} API processes");

using var api = new ChaosApi(options.Apis);
var world = await World.SeedAsync(api, options, runId);
Console.WriteLine($"chaos: seeded {world.Mentors.Count} live sessions and {world.Mentees.Count} mentees");
await using var placement = await Placement.ConnectAsync(options);
var liveIds = world.Mentors.Select(mentor => mentor.LiveId).ToList();

await using var ackLog = new StreamWriter($"{prefix}-acks.jsonl", append: false) { AutoFlush = true };
var driver = new LoadDriver(api, world, options, runId, ackLog);
using var stop = new CancellationTokenSource();
var load = driver.RunAsync(stop.Token);
var events = new List<(double At, string What)>();
void Event(string what)
{
    events.Add((driver.NowSeconds, what));
    Console.WriteLine($"chaos: t={driver.NowSeconds:F1}s {what}");
}

await Task.Delay(TimeSpan.FromSeconds(options.WarmupSeconds));
string? victim = null;
double? killAt = null;
double? databaseBackAt = null;
List<string> victimSessions = [];
switch (options.Scenario)
{
    case "kill":
    {
        // Kill the silo that hosts the most live sessions, so "sessions on the killed silo" is not an empty set.
        var before = await placement.LocateAsync(liveIds);
        var byPort = options.Silos.ToDictionary(silo => silo.Value, silo => silo.Key);
        victim = before.Values.GroupBy(port => port).OrderByDescending(group => group.Count()).Select(group => byPort.GetValueOrDefault(group.Key)).FirstOrDefault(name => name is not null)
            ?? options.Silos.Keys.First();
        victimSessions = [.. before.Where(pair => pair.Value == options.Silos[victim]).Select(pair => pair.Key)];
        Event($"placement before: {string.Join(", ", before.Values.GroupBy(port => byPort.GetValueOrDefault(port, port.ToString(culture))).Select(group => $"{group.Key}={group.Count()}"))}");
        killAt = driver.NowSeconds;
        await Cluster("kill", victim);
        Event($"kill -9 {victim} ({victimSessions.Count} live sessions on it)");
        await Task.Delay(TimeSpan.FromSeconds(options.AfterSeconds));
        break;
    }

    case "rolling":
        foreach (var silo in options.Silos.Keys.Order(StringComparer.Ordinal))
        {
            Event($"SIGTERM {silo}");
            await Cluster("restart", silo);
            Event($"{silo} restarted and ready");
            await Task.Delay(TimeSpan.FromSeconds(options.SettleSeconds));
        }

        await Task.Delay(TimeSpan.FromSeconds(options.AfterSeconds));
        break;

    case "db-stop" or "db-kill" or "db-freeze":
    {
        var (down, up) = options.Scenario switch
        {
            "db-stop" => ("stop", "start"),
            "db-kill" => ("kill", "start"),
            _ => ("freeze", "thaw"),
        };
        killAt = driver.NowSeconds;
        await Cluster("db", down);
        Event($"PostgreSQL {down}");
        await Task.Delay(TimeSpan.FromSeconds(options.DownSeconds));
        await Cluster("db", up);
        databaseBackAt = driver.NowSeconds;
        Event($"PostgreSQL {up} (back)");
        await Task.Delay(TimeSpan.FromSeconds(options.AfterSeconds));
        break;
    }

    case "db-failover":
        killAt = driver.NowSeconds;
        await Cluster("db", "failover");
        databaseBackAt = driver.NowSeconds;
        Event("primary killed (-m immediate), replica promoted");
        await Task.Delay(TimeSpan.FromSeconds(options.AfterSeconds));
        break;

    default:
        await Task.Delay(TimeSpan.FromSeconds(options.AfterSeconds));
        break;
}

Event("load stops");
await stop.CancelAsync();
await load;
await ackLog.FlushAsync();

// ---- figures ----
var seconds = driver.Seconds.OrderBy(pair => pair.Key).ToList();
var totalOk = seconds.Sum(pair => pair.Value.Ok);
var totalErrors = seconds.Sum(pair => pair.Value.Errors);
var errorKinds = seconds.SelectMany(pair => pair.Value.ErrorKinds).GroupBy(pair => pair.Key).ToDictionary(group => group.Key, group => group.Sum(pair => pair.Value));
var maxLatency = TimeSpan.FromTicks(seconds.Count == 0 ? 0 : seconds.Max(pair => pair.Value.MaxLatencyTicks));
double? errorWindow = null;
if (killAt is { } kill)
{
    var lastErrorSecond = seconds.Where(pair => pair.Key >= (int)kill && pair.Value.Errors > 0).Select(pair => (int?)pair.Key).LastOrDefault();
    errorWindow = lastErrorSecond is { } last ? last + 1 - kill : 0;
}

await using (var csv = new StreamWriter($"{prefix}-seconds.csv"))
{
    await csv.WriteLineAsync("second,ok,errors,mean_ms,max_ms,error_kinds");
    foreach (var (second, stats) in seconds)
    {
        var total = stats.Ok + stats.Errors;
        await csv.WriteLineAsync(string.Join(',',
            second, stats.Ok, stats.Errors,
            (total == 0 ? 0 : TimeSpan.FromTicks(stats.LatencyTicksSum / total).TotalMilliseconds).ToString("F1", culture),
            TimeSpan.FromTicks(stats.MaxLatencyTicks).TotalMilliseconds.ToString("F0", culture),
            string.Join(' ', stats.ErrorKinds.Select(pair => $"{pair.Key.Replace(' ', ':')}={pair.Value}"))));
    }
}

await using (var csv = new StreamWriter($"{prefix}-slow.csv"))
{
    await csv.WriteLineAsync("sent_at_s,operation,api,outcome,ms");
    foreach (var slow in driver.Slow.OrderBy(answer => answer.SentAtSeconds))
    {
        await csv.WriteLineAsync(string.Join(',',
            slow.SentAtSeconds.ToString("F2", culture), slow.Operation, slow.Api, slow.Outcome.Replace(' ', ':'), slow.Milliseconds.ToString("F0", culture)));
    }
}

// ---- durability and re-homing ----
var verification = await Verifier.VerifyAsync(api, world, driver.Acknowledged, driver.Unknown);
var rehomed = new List<string>();
var notServing = new List<string>();
if (victim is not null)
{
    foreach (var liveId in victimSessions)
    {
        var mentor = world.Mentors.Single(candidate => candidate.LiveId == liveId);
        for (var index = 0; index < api.Count; index++)
        {
            var (detail, _) = await api.SendAsync(index, HttpMethod.Get, $"/mentor/{mentor.Id}/live/{liveId}", token: world.Mentees[0].Token);
            var (react, _) = await api.SendAsync(index, HttpMethod.Post, $"/mentor/{mentor.Id}/live/{liveId}/reaction", new { reaction = "like" }, world.Mentees[index].Token, $"{runId}-after-{liveId}-{index}");
            if (detail != HttpStatusCode.OK || react != HttpStatusCode.OK)
            {
                notServing.Add($"{liveId} via api{index + 1}: detail {(int)detail}, react {(int)react}");
            }
        }
    }

    var after = await placement.LocateAsync(victimSessions);
    rehomed = [.. after.Where(pair => pair.Value != options.Silos[victim]).Select(pair => pair.Key)];
}

var report = new StringBuilder();
report.AppendLine(culture, $"scenario {options.Scenario}: {options.Workers} workers, {options.Rate} req/s target, {world.Mentors.Count} live sessions, {world.Mentees.Count} mentees, {seconds.Count} s of load");
report.AppendLine(culture, $"requests: {totalOk + totalErrors} ({totalOk} ok, {totalErrors} failed); slowest answer {maxLatency.TotalMilliseconds:F0} ms");
report.AppendLine(culture, $"slowest by operation: {string.Join(", ", driver.SlowestByOperation.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Key} {pair.Value.TotalMilliseconds:F0} ms"))}; {driver.Slow.Count} answers over {LoadDriver.SlowAnswer.TotalSeconds:F0} s ({prefix}-slow.csv)");
if (errorKinds.Count > 0)
{
    report.AppendLine(culture, $"failures: {string.Join(", ", errorKinds.OrderByDescending(pair => pair.Value).Select(pair => $"{pair.Key} x{pair.Value}"))}");
}

foreach (var (at, what) in events)
{
    report.AppendLine(culture, $"  t={at:F1}s {what}");
}

if (databaseBackAt is { } back)
{
    // Whole seconds of the run: the first second after the database returned with a success, and the first
    // second after which no second had an error.
    var firstOk = seconds.Where(pair => pair.Key >= (int)back && pair.Value.Ok > 0).Select(pair => (double?)pair.Key).FirstOrDefault();
    var lastError = seconds.Where(pair => pair.Value.Errors > 0).Select(pair => (double?)pair.Key).LastOrDefault();
    var allOk = lastError is { } errorSecond ? Math.Max(0, errorSecond + 1 - back) : 0;
    var slowest = TimeSpan.FromTicks(seconds.Where(pair => pair.Key >= (int)(killAt ?? 0)).Select(pair => pair.Value.MaxLatencyTicks).DefaultIfEmpty(0).Max());
    report.AppendLine(culture, $"database back at t={back:F1}s: first success {(firstOk is { } first ? Math.Max(0, first - back) : double.NaN):F1} s later, all successful {allOk:F1} s later; slowest answer from the fault on {slowest.TotalMilliseconds:F0} ms");
    report.AppendLine(culture, $"503 without Retry-After: {api.UnavailableWithoutRetryAfter}");
}

if (errorWindow is { } window && databaseBackAt is null)
{
    report.AppendLine(culture, $"error window after kill -9: {window:F1} s (from the kill to the end of the last second with an error)");
    report.AppendLine(culture, $"sessions on the killed silo: {victimSessions.Count}; serving again through every API process: {victimSessions.Count * api.Count - notServing.Count}/{victimSessions.Count * api.Count}; now hosted on a surviving silo: {rehomed.Count}/{victimSessions.Count}");
    foreach (var line in notServing)
    {
        report.AppendLine(culture, $"  not serving: {line}");
    }
}

report.AppendLine(culture, $"acknowledged writes: {driver.Acknowledged.Count} ({string.Join(", ", driver.Acknowledged.GroupBy(write => write.Kind).Select(group => $"{group.Key}={group.Count()}"))}); unknown outcome: {driver.Unknown.Count}; verified {verification.Checked}; lost {verification.Lost.Count}");
foreach (var line in verification.Lost)
{
    report.AppendLine(culture, $"  LOST: {line}");
}

foreach (var line in verification.Notes)
{
    report.AppendLine(culture, $"  note: {line}");
}

await using (var database = new Npgsql.NpgsqlConnection(options.Postgres))
{
    // Notification chunks that ran out of delivery attempts (PostgreSQL queue backend; SQS: the DLQ's depth).
    await database.OpenAsync();
    await using var deadLetters = new Npgsql.NpgsqlCommand("SELECT count(*) FROM stream_queue_dead_letters", database);
    report.AppendLine(culture, $"stream messages dead-lettered (all time, this database): {await deadLetters.ExecuteScalarAsync()}");
}

report.AppendLine(culture, $"per-second counts: {prefix}-seconds.csv; acknowledged writes: {prefix}-acks.jsonl");
Console.Write(report);
await File.WriteAllTextAsync($"{prefix}-report.txt", report.ToString());
return verification.Lost.Count == 0 && notServing.Count == 0 ? 0 : 1;

async Task Cluster(string command, string silo)
{
    var start = new ProcessStartInfo(options.ClusterScript) { RedirectStandardOutput = true, RedirectStandardError = true };
    start.ArgumentList.Add(command);
    start.ArgumentList.Add(silo);
    using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not run {options.ClusterScript}");
    var output = process.StandardOutput.ReadToEndAsync();
    var errors = process.StandardError.ReadToEndAsync();
    await process.WaitForExitAsync();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"{options.ClusterScript} {command} {silo} failed: {await output}{await errors}");
    }
}
