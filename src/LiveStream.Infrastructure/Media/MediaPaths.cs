namespace LiveStream.Infrastructure.Media;

/// <summary>Where the local pipeline's files live under the media root, and their public URL paths.</summary>
public static class MediaPaths
{
    public const string PlaylistName = "index.m3u8";

    public const string RecordingName = "recording.mp4";

    public static string HlsDirectory(string root, string liveId) => Path.Combine(root, "hls", liveId);

    public static string RawRecording(string root, string liveId) => Path.Combine(root, "rec", liveId + ".flv");

    public static string Recording(string root, string liveId) => Path.Combine(root, "recordings", liveId + ".mp4");

    public static string PlaybackPath(string liveId) => $"/media/{liveId}/live/{PlaylistName}";

    public static string RecordingPath(string liveId) => $"/media/{liveId}/{RecordingName}";
}
