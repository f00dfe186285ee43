namespace LiveStream.Infrastructure.Media;

/// <summary>Where the local pipeline's files live under the media root, and their public URL paths.</summary>
public static class MediaPaths
{
    public const string PlaylistName = "index.m3u8";

    public const string RecordingName = "recording.mp4";

    /// <summary>First path segment of every media URL the API serves.</summary>
    public const string Root = "media";

    public static string HlsDirectory(string root, string liveId) => Path.Combine(root, "hls", liveId);

    public static string RawRecording(string root, string liveId) => Path.Combine(root, "rec", liveId + ".flv");

    public static string Recording(string root, string liveId) => Path.Combine(root, "recordings", liveId + ".mp4");

    /// <summary>The unsigned path a session stores; clients get it signed (<see cref="IPlaybackUrlSigner"/>).</summary>
    public static string PlaybackPath(string liveId) => $"/{Root}/{liveId}/live/{PlaylistName}";

    public static string RecordingPath(string liveId) => $"/{Root}/{liveId}/{RecordingName}";
}
