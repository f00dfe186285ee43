using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LiveStream.Bench;

/// <summary>
/// The measured input of the capacity model: CPU per request of each role in the <c>split</c> topology's mixed run,
/// and what one session grain took in writes per second. Embedded in docs/capacity.md so the doc can be regenerated
/// (and checked) without rerunning the benchmark.
/// </summary>
public sealed record CapacityMeasurement(
    string Source,
    double MixedRequestsPerSecond,
    double ApiCores,
    double SiloCores,
    double PostgresCores,
    double WriteShare,
    double? SingleSessionWritesPerSecond,
    double OtherCores = 0)
{
    [JsonIgnore]
    public double ApiSecondsPerRequest => ApiCores / MixedRequestsPerSecond;

    [JsonIgnore]
    public double SiloSecondsPerRequest => SiloCores / MixedRequestsPerSecond;

    [JsonIgnore]
    public double PostgresSecondsPerWrite => PostgresCores / (MixedRequestsPerSecond * WriteShare);

    /// <summary>From a run's results: the split topology's mixed row (null when the run did not measure it).</summary>
    public static CapacityMeasurement? From(IReadOnlyList<TopologyResult> topologies, MachineInfo machine, string command)
    {
        var split = topologies.FirstOrDefault(t => t.Topology == Topology.Split);
        if (split?.Scenarios.FirstOrDefault(s => s.Scenario.Id == BenchRun.MixedId) is not { Result: { } mixed, Cpu: { } cpu })
        {
            return null;
        }

        double Cores(string name) => cpu.Groups.FirstOrDefault(group => group.Name == name).Cores;
        // Every reaction POST lands on the one live session: the box's figure is a lower bound of one grain's rate.
        var single = topologies.SelectMany(t => t.Scenarios).Where(s => s.Scenario.Id == "reaction-post" && s.Result is not null)
            .Select(s => (double?)s.Result!.RequestsPerSecond).Max();
        return new CapacityMeasurement(
            string.Create(CultureInfo.InvariantCulture, $"bench run of {machine.Date:yyyy-MM-dd HH:mm} UTC, {machine.Cores} cores ({machine.CpuModel}), `{command}`, topology `split`, `mixed` profile"),
            mixed.RequestsPerSecond, Cores("host api"), Cores("host silo"), Cores("postgres"), Scenarios.MixedWriteShare, single, cpu.OtherCores);
    }
}

public sealed record CapacityInputs(
    string Region, LoadInputs Load, SizingInputs Sizing, FargateInputs Fargate, RdsInputs Rds, VideoInputs Video, PriceInputs Prices, SeedInputs Seed)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static CapacityInputs ReadFile(string path) =>
        JsonSerializer.Deserialize<CapacityInputs>(File.ReadAllText(path), Json) ?? throw new FormatException($"{path} is empty.");
}

public sealed record LoadInputs(double DailyActiveUsersMonth1, double MonthlyGrowth, double PrimetimeShare, double PrimetimeHours, double RequestsPerUser, double WritesPerUser, double PeakToPrimetimeAverage, IReadOnlyList<int> MultiplesOfMonth12);

public sealed record SizingInputs(double CpuTarget, double Headroom, int SpareTasks, double LargestSessionShareOfPrimetimeUsers, double WritesPerViewerPerSessionHour);

public sealed record TaskSize(double Vcpu, double MemoryGb, int MinimumTasks);

public sealed record FargateInputs(double VcpuHour, double GbHour, double HoursPerMonth, TaskSize Api, TaskSize Silo)
{
    public double Monthly(TaskSize size) => ((size.Vcpu * VcpuHour) + (size.MemoryGb * GbHour)) * HoursPerMonth;
}

public sealed record RdsInstance(string Name, double UsableVcpu, double MonthlyMultiAz);

public sealed record RdsInputs(double ReplicaShareOfPrimary, IReadOnlyList<RdsInstance> Instances);

public sealed record VideoInputs(double GbPerHour, double ViewingHoursPerPrimetimeUserPerDay, double DaysPerMonth, double SessionsPerMentorPerMonth, double SessionHours, double MentorsPerThousandDailyUsers, double ChannelPrewarmHours, int RecordingRetentionMonths);

public sealed record PriceInputs(double EgressPerGb, double S3PerGbMonth, double MediaLivePerChannelHour);

public sealed record SeedInputs(double Month1TotalUsd);

/// <summary>One load column of the model, everything derived from the inputs and the measurement.</summary>
public sealed record CapacityColumn(
    string Name, double DailyUsers, int MonthIndex, double PrimetimeUsers, double AverageRequestsPerSecond, double PeakRequestsPerSecond, double PeakWritesPerSecond,
    double ApiVcpu, int ApiTasks, double SiloVcpu, int SiloTasks, double PostgresVcpu, RdsInstance? Rds,
    double FargateUsd, double RdsUsd, double Mentors, double ChannelHours, double MediaLiveUsd, double EgressTb, double EgressUsd,
    double StoredTb, double StorageUsd, double LargestSessionViewers, double LargestSessionWritesPerSecond)
{
    public double ComputeUsd => FargateUsd + RdsUsd;

    public double TotalUsd => ComputeUsd + MediaLiveUsd + EgressUsd + StorageUsd;
}

/// <summary>
/// Writes docs/capacity.md from the measured CPU per request of each role and the assumptions of
/// bench/capacity-inputs.json: load per column, Fargate tasks, RDS instance, MediaLive channel-hours, egress, storage,
/// monthly cost and where the next limit is.
/// </summary>
public static class CapacityModel
{
    public const string Command = "capacity";
    public const string InputsFile = "bench/capacity-inputs.json";
    private const string MeasuredStart = "<!-- measured:";
    private const string MeasuredEnd = "-->";
    // Relaxed escaping keeps the embedded source text readable (backticks, apostrophes); it sits in an HTML comment.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary><c>capacity [--repo dir] [--output docs/capacity.md] [--check]</c>: regenerate the doc from its embedded measurement, or check it is current.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var check = args.Contains("--check");
        string Value(string name, string fallback) => args.SkipWhile(arg => arg != name).Skip(1).FirstOrDefault() ?? fallback;
        var root = Path.GetFullPath(Value("--repo", BenchOptions.FindRepositoryRoot()));
        var output = Path.Combine(root, Value("--output", "docs/capacity.md"));
        var current = File.Exists(output) ? await File.ReadAllTextAsync(output) : "";
        if (ReadMeasurement(current) is not { } measurement)
        {
            await Console.Error.WriteLineAsync($"capacity: {output} has no embedded measurement ({MeasuredStart} ... {MeasuredEnd}); run the benchmark (bench/run.sh) to write one.");
            return 2;
        }

        var text = Render(CapacityInputs.ReadFile(Path.Combine(root, InputsFile)), measurement);
        if (check)
        {
            if (text == current)
            {
                Console.WriteLine($"capacity: {output} is current with {InputsFile} and its measurement.");
                return 0;
            }

            await Console.Error.WriteLineAsync($"capacity: {output} is stale against {InputsFile}; regenerate: dotnet bench/LiveStream.Bench/bin/Release/net10.0/LiveStream.Bench.dll capacity");
            return 1;
        }

        await File.WriteAllTextAsync(output, text);
        Console.WriteLine($"capacity: wrote {output}");
        return 0;
    }

    public static async Task WriteAsync(string repositoryRoot, string output, CapacityMeasurement measurement)
    {
        var path = Path.Combine(repositoryRoot, output);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, Render(CapacityInputs.ReadFile(Path.Combine(repositoryRoot, InputsFile)), measurement));
    }

    public static CapacityMeasurement? ReadMeasurement(string doc)
    {
        var start = doc.IndexOf(MeasuredStart, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        var end = doc.IndexOf(MeasuredEnd, start, StringComparison.Ordinal);
        return end < 0 ? null : JsonSerializer.Deserialize<CapacityMeasurement>(doc[(start + MeasuredStart.Length)..end].Trim(), Json);
    }

    public static IReadOnlyList<CapacityColumn> Columns(CapacityInputs inputs, CapacityMeasurement measured)
    {
        var month12 = inputs.Load.DailyActiveUsersMonth1 * Math.Pow(1 + inputs.Load.MonthlyGrowth, 11);
        var columns = new List<(string Name, double Users, int Month)> { ("month 1", inputs.Load.DailyActiveUsersMonth1, 1), ("month 12", month12, 12) };
        columns.AddRange(inputs.Load.MultiplesOfMonth12.Select(multiple => ($"{multiple}x month 12", month12 * multiple, 12)));
        return [.. columns.Select(column => Column(inputs, measured, column.Name, column.Users, column.Month))];
    }

    private static CapacityColumn Column(CapacityInputs inputs, CapacityMeasurement measured, string name, double users, int month)
    {
        var load = inputs.Load;
        var sizing = inputs.Sizing;
        var primetime = users * load.PrimetimeShare;
        var average = primetime * load.RequestsPerUser / (load.PrimetimeHours * 3600);
        var peak = average * load.PeakToPrimetimeAverage;
        var writes = peak * load.WritesPerUser / load.RequestsPerUser;
        double Vcpu(double cpuSeconds) => cpuSeconds / sizing.CpuTarget * sizing.Headroom;
        var apiVcpu = Vcpu(peak * measured.ApiSecondsPerRequest);
        var siloVcpu = Vcpu(peak * measured.SiloSecondsPerRequest);
        var postgresVcpu = Vcpu(writes * measured.PostgresSecondsPerWrite);
        int Tasks(double vcpu, TaskSize size) => Math.Max(size.MinimumTasks, (int)Math.Ceiling(vcpu / size.Vcpu) + sizing.SpareTasks);
        var apiTasks = Tasks(apiVcpu, inputs.Fargate.Api);
        var siloTasks = Tasks(siloVcpu, inputs.Fargate.Silo);
        var rds = inputs.Rds.Instances.OrderBy(instance => instance.UsableVcpu).FirstOrDefault(instance => instance.UsableVcpu >= postgresVcpu);
        var video = inputs.Video;
        var mentors = users / 1000 * video.MentorsPerThousandDailyUsers;
        var sessions = mentors * video.SessionsPerMentorPerMonth;
        var channelHours = sessions * (video.SessionHours + video.ChannelPrewarmHours);
        var egressGb = primetime * video.ViewingHoursPerPrimetimeUserPerDay * video.GbPerHour * video.DaysPerMonth;
        var storedGb = sessions * video.SessionHours * video.GbPerHour * Math.Min(month, video.RecordingRetentionMonths);
        var largest = primetime * sizing.LargestSessionShareOfPrimetimeUsers;
        return new CapacityColumn(
            name, users, month, primetime, average, peak, writes, apiVcpu, apiTasks, siloVcpu, siloTasks, postgresVcpu, rds,
            (apiTasks * inputs.Fargate.Monthly(inputs.Fargate.Api)) + (siloTasks * inputs.Fargate.Monthly(inputs.Fargate.Silo)),
            rds is null ? double.NaN : rds.MonthlyMultiAz * (1 + inputs.Rds.ReplicaShareOfPrimary),
            mentors, channelHours, channelHours * inputs.Prices.MediaLivePerChannelHour,
            egressGb / 1000, egressGb * inputs.Prices.EgressPerGb, storedGb / 1000, storedGb * inputs.Prices.S3PerGbMonth,
            largest, largest * sizing.WritesPerViewerPerSessionHour / 3600);
    }

    public static string Render(CapacityInputs inputs, CapacityMeasurement measured)
    {
        var columns = Columns(inputs, measured);
        var md = new StringBuilder();
        void Line(FormattableString text) => md.Append(text.ToString(CultureInfo.InvariantCulture)).Append('\n');
        void Row(string label, Func<CapacityColumn, string> cell) => md.Append("| ").Append(label).Append(" | ").Append(string.Join(" | ", columns.Select(cell))).Append(" |\n");
        void Header()
        {
            md.Append("| | ").Append(string.Join(" | ", columns.Select(column => column.Name))).Append(" |\n");
            md.Append("|---|").Append(string.Concat(columns.Select(_ => "---:|"))).Append('\n');
        }

        string N(double value, string format = "N0") => double.IsNaN(value) ? "n/a" : value.ToString(format, CultureInfo.InvariantCulture);
        var load = inputs.Load;
        var sizing = inputs.Sizing;
        var month1 = columns[0];
        var month12 = columns[1];
        var last = columns[^1];

        Line($"# Capacity and cost model");
        Line($"");
        Line($"**Generated** by `bench/LiveStream.Bench` from the measured CPU per request of each role (below) and the assumptions");
        Line($"in [`{InputsFile}`](../{InputsFile}) (load, prices, sizes: edit them there, never here). A benchmark run that measures");
        Line($"the `split` topology's `mixed` profile rewrites this file; after editing the assumptions, regenerate it with");
        Line($"`dotnet bench/LiveStream.Bench/bin/Release/net10.0/LiveStream.Bench.dll capacity` (`capacity --check` fails when it is stale).");
        Line($"Prices are on-demand list prices for {inputs.Region} as assumed there; check them in the AWS pricing calculator before quoting.");
        Line($"");
        Line($"{MeasuredStart} {JsonSerializer.Serialize(measured, Json)} {MeasuredEnd}");
        Line($"");
        if (measured.OtherCores > 0.2)
        {
            Line($"> **Measured on a busy box**: {measured.OtherCores:0.00} cores of other work ran during the measurement, so the CPU per request below is not a figure to plan with; rerun the benchmark on a quiet box.");
            Line($"");
        }

        Line($"## Inputs");
        Line($"");
        Line($"**Load** (DESIGN §5 and the seed's figures): {load.DailyActiveUsersMonth1:N0} daily active users in month 1, growing {load.MonthlyGrowth:P0} a month ({month12.DailyUsers:N0} in month 12); {load.PrimetimeShare:P0} of them in the {load.PrimetimeHours:0} primetime hours; {load.RequestsPerUser:0} backend requests per user (the bench's `mixed` profile), {load.WritesPerUser:0} of them writes (reactions and comments); HD video {inputs.Video.GbPerHour} GB/hour.");
        Line($"");
        Header();
        Row("daily active users", c => N(c.DailyUsers));
        Row("primetime users", c => N(c.PrimetimeUsers));
        Row($"average primetime req/s (users x {load.RequestsPerUser:0} / {load.PrimetimeHours * 3600:N0} s)", c => N(c.AverageRequestsPerSecond));
        Row(string.Create(CultureInfo.InvariantCulture, $"planned peak req/s (assumption: {load.PeakToPrimetimeAverage:0}x the primetime average, everyone opening a session at its start)"), c => N(c.PeakRequestsPerSecond));
        Row("of which writes/s at peak", c => N(c.PeakWritesPerSecond));
        Line($"");
        Line($"**Cost per request, per role** (measured: {measured.Source}, {measured.MixedRequestsPerSecond:N0} req/s): API process {measured.ApiCores:0.00} cores, silo {measured.SiloCores:0.00} cores, PostgreSQL {measured.PostgresCores:0.00} cores, i.e. **{measured.ApiSecondsPerRequest * 1e6:0} µs API and {measured.SiloSecondsPerRequest * 1e6:0} µs silo per request, {measured.PostgresSecondsPerWrite * 1e6:0} µs PostgreSQL per write** ({measured.WriteShare:P0} of the profile's requests are writes; PostgreSQL's share of the reads, token checks aside, is counted in it). At a {sizing.CpuTarget:P0} CPU target one vCPU carries about {N(sizing.CpuTarget / measured.ApiSecondsPerRequest)} req/s of API work, {N(sizing.CpuTarget / measured.SiloSecondsPerRequest)} of silo work and {N(sizing.CpuTarget / measured.PostgresSecondsPerWrite)} writes/s of PostgreSQL work. These are CPU figures of a box with loopback networking; a Fargate vCPU is a hyperthread, so the plan below keeps {sizing.Headroom:0}x headroom on top.");
        Line($"");
        Line($"## Sizing");
        Line($"");
        Header();
        Row($"API vCPU needed at peak (x{sizing.Headroom:0} headroom)", c => N(c.ApiVcpu, "0.00"));
        Row(string.Create(CultureInfo.InvariantCulture, $"API tasks ({inputs.Fargate.Api.Vcpu:0.##} vCPU / {inputs.Fargate.Api.MemoryGb:0} GB; +{sizing.SpareTasks} spare, at least {inputs.Fargate.Api.MinimumTasks} for two AZs)"), c => N(c.ApiTasks));
        Row($"silo vCPU needed at peak (x{sizing.Headroom:0} headroom)", c => N(c.SiloVcpu, "0.00"));
        Row(string.Create(CultureInfo.InvariantCulture, $"silo tasks ({inputs.Fargate.Silo.Vcpu:0.##} vCPU / {inputs.Fargate.Silo.MemoryGb:0} GB; +{sizing.SpareTasks} spare, at least {inputs.Fargate.Silo.MinimumTasks})"), c => N(c.SiloTasks));
        Row($"PostgreSQL vCPU at peak (x{sizing.Headroom:0} headroom)", c => N(c.PostgresVcpu, "0.00"));
        Row("RDS for PostgreSQL (Multi-AZ) + 1 read replica: smallest with that sustained vCPU", c => c.Rds?.Name ?? "**none large enough**");
        Row(string.Create(CultureInfo.InvariantCulture, $"most watched session: viewers (assumption: {sizing.LargestSessionShareOfPrimetimeUsers:P1} of primetime users)"), c => N(c.LargestSessionViewers));
        Row(string.Create(CultureInfo.InvariantCulture, $"writes/s into that session's grain ({sizing.WritesPerViewerPerSessionHour:0} per viewer in a one-hour session)"), c => N(c.LargestSessionWritesPerSecond));
        Line($"");
        var floorHolds = columns.Where(c => c.ApiTasks == inputs.Fargate.Api.MinimumTasks && c.SiloTasks == inputs.Fargate.Silo.MinimumTasks).Select(c => c.Name).ToList();
        Line($"{(floorHolds.Count > 0 ? $"Compute is not the cost driver: the availability floor (two tasks of each role) carries {floorHolds[^1]}'s peak." : "Every column needs more than the availability floor of two tasks per role.")}");
        Line($"");
        Line($"## Monthly cost (USD, {inputs.Fargate.HoursPerMonth:0} h, tasks always on; scaling API tasks down outside primetime saves part of the larger lines)");
        Line($"");
        Line($"Assumed prices: Fargate ${inputs.Fargate.VcpuHour} per vCPU-hour and ${inputs.Fargate.GbHour} per GB-hour (API task ${inputs.Fargate.Monthly(inputs.Fargate.Api):0}/month, silo task ${inputs.Fargate.Monthly(inputs.Fargate.Silo):0}/month); RDS Multi-AZ per instance as listed in the inputs, a read replica {inputs.Rds.ReplicaShareOfPrimary:P0} of that again; egress ${inputs.Prices.EgressPerGb}/GB (blended CloudFront to Asia); S3 ${inputs.Prices.S3PerGbMonth}/GB-month; MediaLive ${inputs.Prices.MediaLivePerChannelHour}/channel-hour (an unchecked assumption, see the inputs).");
        Line($"");
        Header();
        Row("Fargate (API + silo)", c => N(c.FargateUsd));
        Row("RDS primary + replica", c => N(c.RdsUsd));
        Row("**compute + database**", c => $"**{N(c.ComputeUsd)}**");
        Row(string.Create(CultureInfo.InvariantCulture, $"mentors (assumption: {inputs.Video.MentorsPerThousandDailyUsers:0} per 1,000 daily users)"), c => N(c.Mentors));
        Row(string.Create(CultureInfo.InvariantCulture, $"MediaLive channel-hours (sessions x ({inputs.Video.SessionHours:0.##} h + {inputs.Video.ChannelPrewarmHours:0.##} h pre-warm))"), c => N(c.ChannelHours));
        Row("MediaLive", c => N(c.MediaLiveUsd));
        Row(string.Create(CultureInfo.InvariantCulture, $"live egress, TB (primetime users x {inputs.Video.ViewingHoursPerPrimetimeUserPerDay:0.##} h/day x {inputs.Video.GbPerHour} GB x {inputs.Video.DaysPerMonth:0} days)"), c => N(c.EgressTb));
        Row("live egress", c => N(c.EgressUsd));
        Row(string.Create(CultureInfo.InvariantCulture, $"recordings stored, TB (sessions x {inputs.Video.SessionHours:0.##} h x {inputs.Video.GbPerHour} GB, that month's rate for each month of the model, up to {inputs.Video.RecordingRetentionMonths}: an upper bound)"), c => N(c.StoredTb, "N1"));
        Row("recording storage (S3 Standard)", c => N(c.StorageUsd));
        Row("**total**", c => $"**{N(c.TotalUsd)}**");
        Line($"");
        var egressShare = month1.EgressUsd / month1.TotalUsd;
        var impliedHours = (inputs.Seed.Month1TotalUsd - month1.ComputeUsd - month1.MediaLiveUsd - month1.StorageUsd) / (month1.PrimetimeUsers * inputs.Video.GbPerHour * inputs.Video.DaysPerMonth * inputs.Prices.EgressPerGb);
        Line($"**Egress dominates** ({egressShare:P0} of month 1's total): {month1.PrimetimeUsers:N0} primetime viewers each watching {inputs.Video.ViewingHoursPerPrimetimeUserPerDay:0.##} h a day stream {month1.EgressTb:N0} TB a month. The seed's ${inputs.Seed.Month1TotalUsd:N0} for month 1 (all services) leaves room for at most about {Math.Max(0, impliedHours):0.00} h of viewing per primetime user per day at these rates (or a committed CloudFront price); the model is linear in viewing hours, so halve viewing and halve the line. The seed gives 8 sessions per mentor per month but no mentor count: the mentors row is an assumption of the inputs, and MediaLive and storage scale with it. Recording storage grows every month ({month1.StorageUsd:N0} USD more each month at month 1's rate) until the retention in the inputs.");
        Line($"");
        WriteLimits(md, inputs, measured, columns);
        return md.ToString();
    }

    /// <summary>Each limit as the multiple of month 12's load at which it is reached, nearest first.</summary>
    private static void WriteLimits(StringBuilder md, CapacityInputs inputs, CapacityMeasurement measured, IReadOnlyList<CapacityColumn> columns)
    {
        var month12 = columns[1];
        var largestRds = inputs.Rds.Instances.MaxBy(instance => instance.UsableVcpu)!;
        var limits = new List<(double Multiple, string Text)>
        {
            (month12.PostgresVcpu == 0 ? double.PositiveInfinity : largestRds.UsableVcpu / month12.PostgresVcpu, string.Create(CultureInfo.InvariantCulture,
                $"**The database** (vertical): every reaction and comment is a row (group-committed); the largest instance in the inputs, {largestRds.Name} ({largestRds.UsableVcpu:0} vCPU), takes {largestRds.UsableVcpu / month12.PostgresVcpu:N0}x month 12's peak of {month12.PeakWritesPerSecond:N0} writes/s at the measured {measured.PostgresSecondsPerWrite * 1e6:0} µs/write with the headroom above; before that, its WAL/IOPS and the primary's size are what to watch, and past it writes must be partitioned (by session) or reactions aggregated before they reach a row.")),
        };
        if (measured.SingleSessionWritesPerSecond is { } single && month12.LargestSessionWritesPerSecond > 0)
        {
            limits.Add((single / month12.LargestSessionWritesPerSecond, string.Create(CultureInfo.InvariantCulture,
                $"**A hot session grain**: the most watched session takes {month12.LargestSessionWritesPerSecond:N0} writes/s into one grain at month 12 and {columns[^1].LargestSessionWritesPerSecond:N0} at {columns[^1].Name} ({columns[^1].LargestSessionViewers:N0} viewers); the measured `reaction-post` rate into one session, {single:N0}/s on the benchmark box (a lower bound: the box, not the grain, limited it), is reached at {single / month12.LargestSessionWritesPerSecond:N0}x month 12. Reads of that session come from each API process's hot view cache, so they do not reach it.")));
        }
        else
        {
            limits.Add((double.PositiveInfinity, "**A hot session grain**: not measured in this run (the `reaction-post` scenario gives one grain's write rate)."));
        }

        limits.Add((double.PositiveInfinity, string.Create(CultureInfo.InvariantCulture,
            $"**The API tier** ({measured.ApiSecondsPerRequest * 1e6:0} µs/request, {measured.ApiSecondsPerRequest / (measured.ApiSecondsPerRequest + measured.SiloSecondsPerRequest):P0} of the host's CPU) and **the silo tier** scale out: more tasks behind the ALB, more silos in the cluster; they cost money ({columns[^1].FargateUsd:N0} USD/month at {columns[^1].Name}), they do not break first.")));

        md.Append("## What breaks first\n\n");
        md.Append(string.Create(CultureInfo.InvariantCulture, $"1. **Egress cost**, long before any CPU limit ({columns[^1].EgressUsd:N0} USD/month at {columns[^1].Name}): lower-bitrate renditions (ABR ladder) and a CloudFront commitment are the levers, not the backend.\n"));
        var number = 2;
        foreach (var (multiple, text) in limits.OrderBy(limit => limit.Multiple))
        {
            md.Append(CultureInfo.InvariantCulture, $"{number++}. {text}\n");
        }
    }
}
