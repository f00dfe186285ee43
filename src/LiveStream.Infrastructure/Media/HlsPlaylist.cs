namespace LiveStream.Infrastructure.Media;

/// <summary>Reads just enough of an HLS playlist to tell whether a player can start on it.</summary>
public static class HlsPlaylist
{
    /// <summary>True when a media playlist lists at least one segment (an <c>#EXTINF</c> tag).</summary>
    public static bool ListsSegment(string playlist) =>
        playlist.StartsWith("#EXTM3U", StringComparison.Ordinal) && playlist.Contains("#EXTINF:", StringComparison.Ordinal);

    /// <summary>The URI of a master playlist's first variant, or null for a media playlist.</summary>
    public static string? FirstVariant(string playlist)
    {
        var lines = playlist.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var index = Array.FindIndex(lines, line => line.StartsWith("#EXT-X-STREAM-INF:", StringComparison.Ordinal));
        return index >= 0 && index + 1 < lines.Length && !lines[index + 1].StartsWith('#') ? lines[index + 1] : null;
    }
}
