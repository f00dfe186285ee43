using System.Globalization;
using System.Runtime.InteropServices;

namespace LiveStream.Bench;

/// <summary>The box the figures were measured on, for the report header.</summary>
public sealed record MachineInfo(
    int Cores, string CpuModel, double MemoryGiB, string OperatingSystem, string Kernel, string Runtime, string Wrk, string Postgres, DateTimeOffset Date)
{
    public static async Task<MachineInfo> CollectAsync(string wrkVersion, string postgresAdmin) => new(
        Environment.ProcessorCount,
        ProcValue("/proc/cpuinfo", "model name") ?? "unknown",
        double.Parse((ProcValue("/proc/meminfo", "MemTotal") ?? "0 kB").Split(' ')[0], CultureInfo.InvariantCulture) / 1024 / 1024,
        OsRelease() ?? RuntimeInformation.OSDescription,
        File.Exists("/proc/sys/kernel/osrelease") ? (await File.ReadAllTextAsync("/proc/sys/kernel/osrelease")).Trim() : "unknown",
        RuntimeInformation.FrameworkDescription,
        wrkVersion,
        "PostgreSQL " + await BenchDatabase.ServerVersionAsync(postgresAdmin),
        DateTimeOffset.UtcNow);

    private static string? ProcValue(string file, string key) =>
        File.Exists(file)
            ? File.ReadLines(file).Where(line => line.StartsWith(key, StringComparison.Ordinal)).Select(line => line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()).FirstOrDefault()
            : null;

    private static string? OsRelease() =>
        File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").Where(line => line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal)).Select(line => line["PRETTY_NAME=".Length..].Trim('"')).FirstOrDefault()
            : null;
}
