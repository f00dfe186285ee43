using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LiveStream.Infrastructure.Media;

/// <summary>
/// The embedded pipeline: nginx (RTMP module) receives the push, asks the cluster through its on_publish callback,
/// and writes live HLS and a raw FLV recording under the media root; on stop the recording is remuxed to MP4.
/// There are no paid resources, so starting only prepares folders and deleting only removes live files.
/// </summary>
public sealed partial class LocalMediaProvider(
    IOptions<LocalMediaOptions> options,
    IHttpClientFactory httpClients,
    ILogger<LocalMediaProvider> logger) : IMediaProvider
{
    public const string ProviderName = "local";

    private LocalMediaOptions Options => options.Value;

    private string Root => Path.GetFullPath(Options.Directory);

    public string Name => ProviderName;

    public TimeSpan PrewarmLead => TimeSpan.Zero;

    public bool ReportsPublisher => true;

    public Task<MediaIngest> GetIngestAsync(string liveId, string streamKey, MediaChannel? channel, CancellationToken cancellationToken) =>
        Task.FromResult(new MediaIngest(Options.IngestUrl, streamKey));

    public Task<MediaChannel> StartChannelAsync(string liveId, string streamKey, MediaChannel? existing, Func<MediaChannel, Task> checkpoint, CancellationToken cancellationToken)
    {
        if (existing is not null)
        {
            return Task.FromResult(existing);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(MediaPaths.Recording(Root, liveId))!);
        var playbackUrl = Options.PublicBaseUrl.TrimEnd('/') + MediaPaths.PlaybackPath(liveId);
        return Task.FromResult(new MediaChannel(ProviderName, liveId, playbackUrl, new Dictionary<string, string>()));
    }

    public async Task<bool> IsPlayableAsync(MediaChannel channel, CancellationToken cancellationToken)
    {
        // The file the API serves at the playback URL; nginx lists a segment only once it is written.
        var playlist = Path.Combine(MediaPaths.HlsDirectory(Root, channel.LiveId), MediaPaths.PlaylistName);
        try
        {
            return File.Exists(playlist) && HlsPlaylist.ListsSegment(await File.ReadAllTextAsync(playlist, cancellationToken));
        }
        catch (IOException)
        {
            // Being rewritten by nginx; the next probe reads it.
            return false;
        }
    }

    public async Task<MediaRecordingRequest> StopChannelAsync(MediaChannel channel, CancellationToken cancellationToken)
    {
        await DropPublisherAsync(channel.LiveId, cancellationToken);

        var raw = MediaPaths.RawRecording(Root, channel.LiveId);
        var target = MediaPaths.Recording(Root, channel.LiveId);
        var recordingUrl = Options.PublicBaseUrl.TrimEnd('/') + MediaPaths.RecordingPath(channel.LiveId);
        if (File.Exists(target))
        {
            return new MediaRecordingRequest(recordingUrl, Pending: false);
        }

        if (!File.Exists(raw))
        {
            LogNoRecording(channel.LiveId);
            return new MediaRecordingRequest(null, Pending: false);
        }

        // nginx closes the FLV when the publisher is dropped; a remux that races the close is retried.
        for (var attempt = 1; ; attempt++)
        {
            if (await RemuxAsync(raw, target, cancellationToken))
            {
                LogRecorded(channel.LiveId, target);
                return new MediaRecordingRequest(recordingUrl, Pending: false);
            }

            if (attempt == 3)
            {
                throw new InvalidOperationException($"ffmpeg could not remux the recording of session '{channel.LiveId}'.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt), cancellationToken);
        }
    }

    public Task DeleteChannelAsync(MediaChannel channel, CancellationToken cancellationToken)
    {
        // Live segments are useless once the session is over; the MP4 recording stays.
        var hls = MediaPaths.HlsDirectory(Root, channel.LiveId);
        if (Directory.Exists(hls))
        {
            Directory.Delete(hls, recursive: true);
        }

        if (File.Exists(MediaPaths.Recording(Root, channel.LiveId)))
        {
            File.Delete(MediaPaths.RawRecording(Root, channel.LiveId));
        }

        return Task.CompletedTask;
    }

    private async Task DropPublisherAsync(string liveId, CancellationToken cancellationToken)
    {
        var http = httpClients.CreateClient(ProviderName);
        var url = $"{Options.ControlUrl.TrimEnd('/')}/drop/publisher?app=live&name={Uri.EscapeDataString(liveId)}";
        try
        {
            using var response = await http.GetAsync(new Uri(url), cancellationToken);
            LogDropped(liveId, (int)response.StatusCode);
        }
        catch (HttpRequestException exception)
        {
            // Without nginx there is no publisher to drop; the stop still completes.
            LogControlUnreachable(exception, liveId);
        }
    }

    private async Task<bool> RemuxAsync(string raw, string target, CancellationToken cancellationToken)
    {
        var temporary = target + ".part";
        var start = new ProcessStartInfo(Options.FfmpegPath)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", raw, "-c", "copy", "-movflags", "+faststart", "-f", "mp4", temporary })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start ffmpeg.");
        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The stop's time is up: no ffmpeg outlives it (the stop is retried later).
            process.Kill(entireProcessTree: true);
            throw;
        }

        if (process.ExitCode != 0)
        {
            LogRemuxFailed(raw, process.ExitCode, await errors);
            return false;
        }

        File.Move(temporary, target, overwrite: true);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Asked nginx to drop the publisher of session {LiveId}: {StatusCode}")]
    private partial void LogDropped(string liveId, int statusCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "nginx control endpoint unreachable while stopping session {LiveId}")]
    private partial void LogControlUnreachable(Exception exception, string liveId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {LiveId} has no recording (nothing was published)")]
    private partial void LogNoRecording(string liveId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {LiveId} recorded to {Path}")]
    private partial void LogRecorded(string liveId, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ffmpeg failed to remux {Path} with exit code {ExitCode}: {Errors}")]
    private partial void LogRemuxFailed(string path, int exitCode, string errors);
}
