using System.Globalization;

namespace LiveStream.Bench;

/// <summary>
/// A named set of processes (or threads) whose CPU time is summed: one host process, wrk, every PostgreSQL process.
/// <see cref="StatFiles"/> names their /proc stat files: /proc/&lt;pid&gt;/stat, or /proc/&lt;pid&gt;/task/&lt;tid&gt;/stat for a thread.
/// </summary>
public sealed record ProcessGroup(string Name, Func<IEnumerable<string>> StatFiles)
{
    public static ProcessGroup Processes(string name, Func<IEnumerable<int>> pids) =>
        new(name, () => pids().Select(pid => $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat"));
}

/// <summary>CPU used over a window, in cores (1.0 = one core busy the whole window), per group and for the machine.</summary>
public sealed record CpuSplit(IReadOnlyList<(string Name, double Cores)> Groups, double MachineBusyCores, int MachineCores)
{
    /// <summary>Busy CPU not accounted to any group: other work on the box (other builds, tests, the kernel's softirqs).</summary>
    public double OtherCores => Math.Max(0, MachineBusyCores - Groups.Where(group => !group.Name.Equals(BenchRun.JitGroup, StringComparison.Ordinal)).Sum(group => group.Cores));
}

/// <summary>
/// Reads utime+stime of processes from /proc/&lt;pid&gt;/stat and the machine's busy time from /proc/stat at two instants;
/// no profiler needed. Processes that exit between the samples are not counted (pooled PostgreSQL backends live on).
/// </summary>
public sealed class CpuSampler(IReadOnlyList<ProcessGroup> groups)
{
    // USER_HZ: the unit of /proc times; 100 on every mainstream Linux build.
    private const double TicksPerSecond = 100;

    private sealed record Snapshot(DateTime At, Dictionary<string, long> ProcessTicks, long MachineBusy, long MachineTotal);

    private Snapshot? _start;

    public void Start() => _start = Take();

    public CpuSplit Stop()
    {
        var start = _start ?? throw new InvalidOperationException("Start() first.");
        var end = Take();
        var seconds = (end.At - start.At).TotalSeconds;
        var split = groups.Select(group =>
        {
            long ticks = 0;
            foreach (var file in group.StatFiles().Distinct())
            {
                if (start.ProcessTicks.TryGetValue(file, out var before) && end.ProcessTicks.TryGetValue(file, out var after))
                {
                    ticks += after - before;
                }
            }

            return (group.Name, ticks / TicksPerSecond / seconds);
        }).ToList();
        var machineShare = (double)(end.MachineBusy - start.MachineBusy) / Math.Max(1, end.MachineTotal - start.MachineTotal);
        return new CpuSplit(split, machineShare * Environment.ProcessorCount, Environment.ProcessorCount);
    }

    private Snapshot Take()
    {
        var ticks = new Dictionary<string, long>();
        foreach (var file in groups.SelectMany(group => group.StatFiles()).Distinct())
        {
            if (ProcessTicks(file) is { } value)
            {
                ticks[file] = value;
            }
        }

        var (busy, total) = MachineTicks();
        return new Snapshot(DateTime.UtcNow, ticks, busy, total);
    }

    /// <summary>utime + stime (fields 14 and 15 of a stat file; the command name in field 2 may contain spaces).</summary>
    private static long? ProcessTicks(string statFile)
    {
        try
        {
            var stat = File.ReadAllText(statFile);
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static (long Busy, long Total) MachineTicks()
    {
        var values = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(value => long.Parse(value, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal (guest time is already inside user).
        var total = values.Take(8).Sum();
        return (total - values[3] - values[4], total);
    }

    /// <summary>The postmaster listening on <paramref name="port"/> and its children (backends, background workers).</summary>
    public static IEnumerable<int> PostgresPids(int port)
    {
        var postmaster = Directory.EnumerateDirectories("/proc")
            .Select(path => int.TryParse(Path.GetFileName(path), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : -1)
            .Where(pid => pid > 0)
            .FirstOrDefault(pid => CommandLine(pid) is { } args && args.Length > 0 && args[0].EndsWith("postgres", StringComparison.Ordinal)
                && args.Contains("-p") && args.SkipWhile(arg => arg != "-p").Skip(1).FirstOrDefault() == port.ToString(CultureInfo.InvariantCulture));
        if (postmaster == 0)
        {
            return [];
        }

        return Directory.EnumerateDirectories("/proc")
            .Select(path => int.TryParse(Path.GetFileName(path), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : -1)
            .Where(pid => pid > 0 && (pid == postmaster || ParentOf(pid) == postmaster))
            .ToList();
    }

    /// <summary>
    /// Stat files of the JIT's background tiering thread of a process (".NET Tiered Compilation", cut to 15 characters).
    /// The runtime starts that thread on demand and ends it when idle, so it counts only if it lives through the window.
    /// </summary>
    public static IEnumerable<string> TieredCompilationThreads(int pid)
    {
        try
        {
            return Directory.EnumerateDirectories($"/proc/{pid}/task")
                .Where(task => File.ReadAllText(Path.Combine(task, "comm")).StartsWith(".NET Tiered Com", StringComparison.Ordinal))
                .Select(task => Path.Combine(task, "stat"))
                .ToList();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static string[]? CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
        {
            return -1;
        }
    }
}
