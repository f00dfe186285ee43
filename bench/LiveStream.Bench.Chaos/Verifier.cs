using System.Net;
using System.Text.Json;

namespace LiveStream.Bench.Chaos;

/// <summary>After the load: every acknowledged write must read back through the API.</summary>
public static class Verifier
{
    public sealed record Result(int Checked, IReadOnlyList<string> Lost, IReadOnlyList<string> Notes);

    public static async Task<Result> VerifyAsync(ChaosApi api, World world, IReadOnlyCollection<AcknowledgedWrite> acks, IReadOnlyCollection<UnknownWrite> unknown)
    {
        var lost = new List<string>();
        var notes = new List<string>();
        var token = world.Mentees[0].Token;
        var checkedCount = 0;

        // Scheduled sessions: the detail reads back and the mentor's index lists it.
        foreach (var group in acks.Where(write => write.Kind == WriteKind.Schedule).GroupBy(write => write.MentorId))
        {
            var listed = await ListSessionsAsync(api, group.Key, token);
            foreach (var write in group)
            {
                checkedCount++;
                var (status, _) = await api.SendAsync(checkedCount, HttpMethod.Get, $"/mentor/{write.MentorId}/live/{write.LiveId}", token: token);
                if (status != HttpStatusCode.OK || !listed.Contains(write.LiveId))
                {
                    lost.Add($"schedule {write.IdempotencyKey} → {write.LiveId}: detail {(int)status}, listed {listed.Contains(write.LiveId)}");
                }
            }
        }

        // Reactions and comments, per session: every acknowledged comment is there, and the reaction counts
        // are at least the acknowledged reactions and at most those plus the ones with an unknown outcome.
        foreach (var mentor in world.Mentors)
        {
            var (counts, comments) = await ReadRoomAsync(api, mentor, token);
            var ackedReactions = acks.Count(write => write.Kind == WriteKind.Reaction && write.LiveId == mentor.LiveId);
            var unknownReactions = unknown.Count(write => write.Kind == WriteKind.Reaction && write.LiveId == mentor.LiveId);
            checkedCount += ackedReactions;
            if (counts < ackedReactions)
            {
                lost.Add($"reactions of {mentor.LiveId}: {counts} counted, {ackedReactions} acknowledged");
            }

            if (counts > ackedReactions + unknownReactions)
            {
                lost.Add($"reactions of {mentor.LiveId}: {counts} counted, more than {ackedReactions} acknowledged + {unknownReactions} unknown (double counting)");
            }

            if (counts > ackedReactions)
            {
                notes.Add($"{mentor.LiveId}: {counts - ackedReactions} of {unknownReactions} unacknowledged reactions were applied");
            }

            foreach (var write in acks.Where(write => write.Kind == WriteKind.Comment && write.LiveId == mentor.LiveId))
            {
                checkedCount++;
                if (!comments.Contains(write.Text!))
                {
                    lost.Add($"comment {write.IdempotencyKey} on {mentor.LiveId} is missing");
                }
            }
        }

        return new Result(checkedCount, lost, notes);
    }

    private static async Task<HashSet<string>> ListSessionsAsync(ChaosApi api, string mentorId, string token)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        string? after = null;
        do
        {
            var page = await api.ExpectAsync(
                HttpStatusCode.OK, 0, HttpMethod.Get, $"/mentor/{mentorId}/live?limit=100{(after is null ? "" : $"&after={Uri.EscapeDataString(after)}")}", token: token);
            foreach (var item in page.GetProperty("items").EnumerateArray())
            {
                ids.Add(item.GetProperty("liveId").GetString()!);
            }

            after = page.TryGetProperty("next", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        }
        while (after is not null);
        return ids;
    }

    private static async Task<(long Reactions, HashSet<string> Comments)> ReadRoomAsync(ChaosApi api, Mentor mentor, string token)
    {
        var comments = new HashSet<string>(StringComparer.Ordinal);
        long reactions = 0;
        var after = "0";
        while (true)
        {
            var page = await api.ExpectAsync(HttpStatusCode.OK, 1, HttpMethod.Get, $"/mentor/{mentor.Id}/live/{mentor.LiveId}/reaction?limit=100&after={after}", token: token);
            reactions = page.GetProperty("counts").EnumerateObject().Sum(count => count.Value.GetInt64());
            var items = page.GetProperty("comments").EnumerateArray().ToList();
            foreach (var comment in items)
            {
                comments.Add(comment.GetProperty("text").GetString()!);
            }

            if (items.Count == 0 || !page.TryGetProperty("next", out var next) || next.ValueKind != JsonValueKind.String)
            {
                return (reactions, comments);
            }

            after = next.GetString()!;
        }
    }
}
