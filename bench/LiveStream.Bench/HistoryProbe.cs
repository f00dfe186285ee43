using System.Diagnostics;
using System.Globalization;

namespace LiveStream.Bench;

/// <summary>
/// Schedule + cancel latency of one mentor, sequential, at the start of its history and after it has
/// <c>sessions</c> sessions, with the host's resident memory before and after: a write whose cost grows with history
/// shows as a later figure above the first.
/// </summary>
public sealed record HistoryResult(int Sessions, int Sample, double FirstMsPerPair, double LastMsPerPair, double RssBeforeMiB, double RssAfterMiB, TimeSpan Elapsed)
{
    public const string ScenarioId = "history";
}

public static class HistoryProbe
{
    private const int Sample = 100;

    public static async Task<HistoryResult> RunAsync(Uri baseAddress, int sessions, IReadOnlyList<int> hostProcessIds)
    {
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var mentorId = $"bench-history-{Guid.NewGuid():N}"[..32];
        var token = await Seeder.TokenAsync(http, mentorId, "mentor");
        (await Seeder.SendAsync(http, HttpMethod.Put, $"mentor/{mentorId}", token, new { displayName = "Charles Babbage" })).Dispose();
        (await Seeder.SendAsync(http, HttpMethod.Put, $"mentor/{mentorId}/courses/{Seeder.CourseId}", token, new { title = "Difference Engines" })).Dispose();

        var sample = Math.Min(Sample, Math.Max(1, sessions / 2));
        var rssBefore = ResidentMiB(hostProcessIds);
        var total = Stopwatch.StartNew();
        var first = await PairsAsync(http, mentorId, token, 0, sample);
        await PairsAsync(http, mentorId, token, sample, sessions - (2 * sample));
        var last = await PairsAsync(http, mentorId, token, sessions - sample, sample);
        total.Stop();
        return new HistoryResult(sessions, sample, first, last, rssBefore, ResidentMiB(hostProcessIds), total.Elapsed);
    }

    /// <summary>Mean milliseconds per schedule + cancel pair.</summary>
    private static async Task<double> PairsAsync(HttpClient http, string mentorId, string token, int offset, int count)
    {
        var watch = Stopwatch.StartNew();
        for (var i = offset; i < offset + count; i++)
        {
            using var created = await Seeder.SendAsync(http, HttpMethod.Post, "livestream/", token, new
            {
                mentorId,
                courseId = Seeder.CourseId,
                title = $"Session {i.ToString(CultureInfo.InvariantCulture)}",
                // Spread over the year the API accepts, so every session has its own start.
                scheduledStart = DateTimeOffset.UtcNow.AddDays(1).AddMinutes(i * 2),
            });
            var liveId = created.RootElement.GetProperty("liveId").GetString();
            (await Seeder.SendAsync(http, HttpMethod.Delete, $"livestream/{liveId}", token, null)).Dispose();
        }

        return count == 0 ? 0 : watch.Elapsed.TotalMilliseconds / count;
    }

    internal static double ResidentMiB(IReadOnlyList<int> processIds) => processIds.Sum(id =>
    {
        try
        {
            var line = File.ReadLines($"/proc/{id}/status").FirstOrDefault(text => text.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    });
}
