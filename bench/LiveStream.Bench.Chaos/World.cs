using System.Net;

namespace LiveStream.Bench.Chaos;

public sealed record Mentor(string Id, string Token, string CourseId, string LiveId);

public sealed record Mentee(string Id, string Token);

/// <summary>What the load runs against: mentors each with one live session, and mentees watching.</summary>
public sealed record World(IReadOnlyList<Mentor> Mentors, IReadOnlyList<Mentee> Mentees)
{
    public static async Task<World> SeedAsync(ChaosApi api, ChaosOptions options, string runId)
    {
        var mentors = new List<Mentor>();
        for (var i = 0; i < options.Mentors; i++)
        {
            var id = $"chaos-{runId}-mentor-{i}";
            var token = await api.TokenAsync(id, "mentor");
            await api.ExpectAsync(HttpStatusCode.OK, i, HttpMethod.Put, $"/mentor/{id}", new { displayName = $"Mentor {i}", bio = "Chaos run" }, token);
            await api.ExpectAsync(HttpStatusCode.OK, i, HttpMethod.Put, $"/mentor/{id}/courses/course", new { title = "Resilience", description = "Chaos run" }, token);
            var session = await api.ExpectAsync(
                HttpStatusCode.Created, i, HttpMethod.Post, "/livestream/",
                new { mentorId = id, courseId = "course", title = "Live under chaos", scheduledStart = DateTimeOffset.UtcNow.AddMinutes(5) }, token, $"seed-{runId}-{i}");
            var liveId = session.GetProperty("liveId").GetString()!;
            await api.ExpectAsync(HttpStatusCode.OK, i, HttpMethod.Post, $"/livestream/{liveId}/start", token: token);
            var ingest = await api.ExpectAsync(HttpStatusCode.OK, i, HttpMethod.Get, $"/livestream/{liveId}/ingest", token: token);
            await api.PublishAsync(options.CallbackSecret, ingest.GetProperty("streamKey").GetString()!);

            // No encoder runs: write the playlist nginx would write, with one segment, since a session is live
            // only once playable (the media directory is the cluster's Media:Local:Directory).
            var hls = Path.Combine(options.MediaDirectory, "hls", liveId);
            Directory.CreateDirectory(hls);
            await File.WriteAllTextAsync(Path.Combine(hls, "index.m3u8"), "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2.000,\n0.ts\n");
            mentors.Add(new Mentor(id, token, "course", liveId));
        }

        var mentees = new List<Mentee>();
        for (var i = 0; i < options.Mentees; i++)
        {
            var id = $"chaos-{runId}-mentee-{i}";
            var token = await api.TokenAsync(id, "mentee");
            await api.ExpectAsync(HttpStatusCode.OK, i, HttpMethod.Put, $"/mentee/{id}", new { displayName = $"Mentee {i}" }, token);
            mentees.Add(new Mentee(id, token));
        }

        // Sessions must be live before viewers react; the publish callback starts them and the first segment
        // makes them live once the silo's playlist watcher has seen it.
        foreach (var mentor in mentors)
        {
            var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
            string? state;
            while (true)
            {
                var detail = await api.ExpectAsync(HttpStatusCode.OK, 0, HttpMethod.Get, $"/mentor/{mentor.Id}/live/{mentor.LiveId}", token: mentor.Token);
                state = detail.GetProperty("state").GetString();
                if (string.Equals(state, "live", StringComparison.OrdinalIgnoreCase) || DateTimeOffset.UtcNow > deadline)
                {
                    break;
                }

                await Task.Delay(200);
            }

            if (!string.Equals(state, "live", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"Session {mentor.LiveId} is {state} 30 s after the publish callback and its first segment, not live (is --media-directory the cluster's Media:Local:Directory?).");
            }
        }

        return new World(mentors, mentees);
    }
}
