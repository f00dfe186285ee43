namespace LiveStream.Infrastructure.Media;

/// <summary>Media settings shared by every provider (section <c>Media</c>).</summary>
public sealed class MediaOptions
{
    public const string Section = "Media";

    /// <summary><c>local</c> (nginx RTMP + ffmpeg, the embedded default) or <c>aws</c> (MediaLive + MediaPackage).</summary>
    public string Provider { get; set; } = "local";

    /// <summary>A started session whose publisher never connects fails after this long.</summary>
    public TimeSpan NoInputTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A publisher that drops may reconnect into the same session within this window.</summary>
    public TimeSpan ReconnectGrace { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A live session is stopped after this long, so no channel runs unpaid.</summary>
    public TimeSpan MaxDuration { get; set; } = TimeSpan.FromHours(4);

    /// <summary>A pre-warmed channel that nobody starts is released this long after the scheduled start.</summary>
    public TimeSpan NoShowTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>An ended session whose recording is not ready this long after the stop ends without one (the reason is shown).</summary>
    public TimeSpan RecordingTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>A media call that failed (AWS briefly unreachable, a stop racing a start) is retried after this long.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A stop (local: the recording's remux) is abandoned and retried after this long, so it never hangs the session.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public static IEnumerable<string> Validate(MediaOptions options)
    {
        if (options.NoInputTimeout <= TimeSpan.Zero)
        {
            yield return "Media:NoInputTimeout must be positive.";
        }

        if (options.ReconnectGrace <= TimeSpan.Zero)
        {
            yield return "Media:ReconnectGrace must be positive.";
        }

        if (options.MaxDuration <= TimeSpan.Zero)
        {
            yield return "Media:MaxDuration must be positive.";
        }

        if (options.NoShowTimeout <= TimeSpan.Zero)
        {
            yield return "Media:NoShowTimeout must be positive.";
        }

        if (options.RecordingTimeout <= TimeSpan.Zero || options.RetryDelay <= TimeSpan.Zero || options.StopTimeout <= TimeSpan.Zero)
        {
            yield return "Media:RecordingTimeout, RetryDelay and StopTimeout must be positive.";
        }
    }
}

/// <summary>The local pipeline (section <c>Media:Local</c>): nginx RTMP writes HLS and recordings under <see cref="Directory"/>.</summary>
public sealed class LocalMediaOptions
{
    public const string Section = "Media:Local";

    /// <summary>The media root nginx writes to (hls/, rec/) and the API serves from; recordings/ holds the remuxed MP4s.</summary>
    public string Directory { get; set; } = ".local/media";

    /// <summary>What the mentor's encoder is told to publish to, e.g. <c>rtmp://127.0.0.1:1935/live</c>.</summary>
    public string IngestUrl { get; set; } = "rtmp://127.0.0.1:1935/live";

    /// <summary>nginx-rtmp's control endpoint (loopback), used to drop a publisher on stop.</summary>
    public string ControlUrl { get; set; } = "http://127.0.0.1:1936/control";

    /// <summary>Absolute base of the playback and recording URLs handed to clients (this API's public address).</summary>
    public string PublicBaseUrl { get; set; } = "http://localhost:8080";

    /// <summary>
    /// The secret path segment of the nginx callback URL (<c>/internal/media/{secret}/...</c>). Empty disables the
    /// callback endpoint, so a deployment that forgot it cannot be driven by outsiders.
    /// </summary>
    public string CallbackSecret { get; set; } = string.Empty;

    public const int MinimumCallbackSecretLength = 32;

    public string FfmpegPath { get; set; } = "ffmpeg";
}
