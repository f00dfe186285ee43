using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LiveStream.Host.Api;

/// <summary><c>default</c>: 2 s HLS segments and hls.js's defaults; <c>low</c>: 1 s segments and a live sync tuned to them.</summary>
public enum LatencyMode
{
    Default,
    Low,
}

/// <summary>The latency setting (<c>Media:Latency</c>); run.sh derives the local pipeline's segment length from the same key.</summary>
public sealed class PlayerOptions
{
    public const string Section = "Media";

    public LatencyMode Latency { get; set; } = LatencyMode.Default;
}

/// <summary>The hls.js settings a page passes to <c>new Hls(...)</c>; the names are hls.js's own (seconds).</summary>
public sealed record HlsPlayerSettings(double LiveSyncDuration, double LiveMaxLatencyDuration, double MaxLiveSyncPlaybackRate, bool LowLatencyMode);

public sealed record PlayerConfigResponse(LatencyMode Latency, int SegmentSeconds, HlsPlayerSettings Hls);

/// <summary>
/// How players should play this deployment's live HLS. The live sync is given in seconds, not in segments: hls.js
/// multiplies a segment count by the playlist's target duration, which nginx-rtmp rounds up to 2 s as soon as one
/// 1 s segment runs long, so a count would silently double the delay. 2 s behind the live edge on 1 s segments keeps
/// glass-to-glass under 5 s (docs/benchmarks.md) with a segment of slack on a busy network.
/// </summary>
public static class PlayerApi
{
    public static void MapPlayerApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/media/player-config", GetConfig).WithTags("Media").AllowAnonymous()
            .WithSummary("hls.js settings matching the media pipeline's latency setting (segment length, live sync)");
    }

    public static PlayerConfigResponse For(LatencyMode latency) => latency switch
    {
        // Catch up at up to 1.2x after a stall, and jump back to the edge beyond 5 s, rather than drift ever further.
        LatencyMode.Low => new PlayerConfigResponse(latency, 1, new HlsPlayerSettings(2, 5, 1.2, LowLatencyMode: false)),

        // What hls.js does by default on 2 s segments: 3 of them (6 s) behind the edge, no catch-up. Neither setting
        // turns on lowLatencyMode: nginx-rtmp writes no LL-HLS partial segments for it to use.
        _ => new PlayerConfigResponse(latency, 2, new HlsPlayerSettings(6, 30, 1, LowLatencyMode: false)),
    };

    private static Ok<PlayerConfigResponse> GetConfig(IOptions<PlayerOptions> options, HttpContext context)
    {
        context.Response.Headers.CacheControl = "public, max-age=60";
        return TypedResults.Ok(For(options.Value.Latency));
    }
}
