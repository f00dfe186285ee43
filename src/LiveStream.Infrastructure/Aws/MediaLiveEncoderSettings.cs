namespace LiveStream.Infrastructure.Aws;

// The subset of MediaLive's EncoderSettings that LiveStream sets. Unset (null) members are left out of the JSON,
// so MediaLive applies its defaults to them.

public sealed record MediaLiveEncoderSettings(
    IReadOnlyList<MediaLiveAudioDescription> AudioDescriptions,
    IReadOnlyList<MediaLiveOutputGroup> OutputGroups,
    MediaLiveTimecodeConfig TimecodeConfig,
    IReadOnlyList<MediaLiveVideoDescription> VideoDescriptions);

public sealed record MediaLiveTimecodeConfig(string Source);

public sealed record MediaLiveVideoDescription(string Name, int Width, int Height, MediaLiveVideoCodecSettings CodecSettings)
{
    public string? ScalingBehavior { get; init; }

    public string? RespondToAfd { get; init; }

    public int? Sharpness { get; init; }
}

public sealed record MediaLiveVideoCodecSettings(MediaLiveH264Settings H264Settings);

public sealed record MediaLiveH264Settings
{
    public int? Bitrate { get; init; }

    public int? BufSize { get; init; }

    public string? RateControlMode { get; init; }

    public string? Profile { get; init; }

    public string? Level { get; init; }

    public string? FramerateControl { get; init; }

    public int? FramerateNumerator { get; init; }

    public int? FramerateDenominator { get; init; }

    public double? GopSize { get; init; }

    public string? GopSizeUnits { get; init; }

    public int? GopNumBFrames { get; init; }

    public string? ParControl { get; init; }

    public int? ParNumerator { get; init; }

    public int? ParDenominator { get; init; }

    public string? ScanType { get; init; }

    public string? SceneChangeDetect { get; init; }

    public string? AdaptiveQuantization { get; init; }
}

public sealed record MediaLiveAudioDescription(string Name, string AudioSelectorName, MediaLiveAudioCodecSettings CodecSettings)
{
    public string? AudioTypeControl { get; init; }

    public string? LanguageCodeControl { get; init; }
}

public sealed record MediaLiveAudioCodecSettings(MediaLiveAacSettings AacSettings);

public sealed record MediaLiveAacSettings
{
    public double? Bitrate { get; init; }

    public string? CodingMode { get; init; }

    public string? InputType { get; init; }

    public string? Profile { get; init; }

    public string? RateControlMode { get; init; }

    public string? RawFormat { get; init; }

    public double? SampleRate { get; init; }

    public string? Spec { get; init; }
}

public sealed record MediaLiveOutputGroup(string Name, MediaLiveOutputGroupSettings OutputGroupSettings, IReadOnlyList<MediaLiveOutput> Outputs);

public sealed record MediaLiveOutputGroupSettings(MediaLiveMediaPackageGroupSettings MediaPackageGroupSettings);

public sealed record MediaLiveMediaPackageGroupSettings(MediaLiveOutputLocationRef Destination);

public sealed record MediaLiveOutputLocationRef(string DestinationRefId);

public sealed record MediaLiveOutput(
    string OutputName,
    string VideoDescriptionName,
    IReadOnlyList<string> AudioDescriptionNames,
    MediaLiveOutputSettings OutputSettings);

public sealed record MediaLiveOutputSettings(MediaLiveMediaPackageOutputSettings MediaPackageOutputSettings);

/// <summary>Empty on purpose: a MediaPackage v1 output takes its packaging from the MediaPackage endpoint.</summary>
public sealed record MediaLiveMediaPackageOutputSettings;

/// <summary>One rung of the encoding ladder.</summary>
public sealed record MediaLiveRendition(string Name, int Width, int Height, int VideoBitrate, int AudioBitrate);

/// <summary>Ready-made encoder settings.</summary>
public static class MediaLiveEncoderPresets
{
    /// <summary>Audio selector the presets read from; <see cref="MediaLiveClient"/> defines it on the input attachment.</summary>
    public const string AudioSelectorName = "default";

    /// <summary>
    /// 720p / 540p / 360p at 30 fps: what a talking-head mentoring session with slides needs, and cheap to encode.
    /// </summary>
    public static IReadOnlyList<MediaLiveRendition> Ladder720p { get; } =
    [
        new("720p", 1280, 720, 3_000_000, 128_000),
        new("540p", 960, 540, 1_800_000, 96_000),
        new("360p", 640, 360, 800_000, 64_000),
    ];

    /// <summary>H.264/AAC ladder sent to the MediaPackage channel behind <paramref name="destinationId"/>.</summary>
    public static MediaLiveEncoderSettings MediaPackage720pLadder(string destinationId) =>
        MediaPackageLadder(destinationId, Ladder720p);

    public static MediaLiveEncoderSettings MediaPackageLadder(string destinationId, IReadOnlyList<MediaLiveRendition> renditions)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(destinationId);
        ArgumentNullException.ThrowIfNull(renditions);
        if (renditions.Count == 0)
        {
            throw new ArgumentException("At least one rendition is needed.", nameof(renditions));
        }

        var videos = renditions.Select(r => new MediaLiveVideoDescription($"video_{r.Name}", r.Width, r.Height, new(H264(r)))
        {
            ScalingBehavior = "DEFAULT",
            RespondToAfd = "NONE",
            Sharpness = 50,
        }).ToList();

        // One audio encode per output, as MediaLive's own HLS templates do, so each rendition stays self-contained.
        var audios = renditions.Select(r => new MediaLiveAudioDescription($"audio_{r.Name}", AudioSelectorName, new(Aac(r.AudioBitrate)))
        {
            AudioTypeControl = "FOLLOW_INPUT",
            LanguageCodeControl = "FOLLOW_INPUT",
        }).ToList();

        var outputs = renditions.Select(r => new MediaLiveOutput(
            r.Name, $"video_{r.Name}", [$"audio_{r.Name}"], new MediaLiveOutputSettings(new MediaLiveMediaPackageOutputSettings()))).ToList();

        var group = new MediaLiveOutputGroup(
            "mediapackage",
            new MediaLiveOutputGroupSettings(new MediaLiveMediaPackageGroupSettings(new MediaLiveOutputLocationRef(destinationId))),
            outputs);

        return new MediaLiveEncoderSettings(audios, [group], new MediaLiveTimecodeConfig("SYSTEMCLOCK"), videos);
    }

    private static MediaLiveH264Settings H264(MediaLiveRendition rendition) => new()
    {
        Bitrate = rendition.VideoBitrate,
        BufSize = rendition.VideoBitrate * 2,
        RateControlMode = "CBR",
        Profile = rendition.Height >= 720 ? "HIGH" : "MAIN",
        Level = "H264_LEVEL_AUTO",
        FramerateControl = "SPECIFIED",
        FramerateNumerator = 30,
        FramerateDenominator = 1,
        // 2 s GOPs line up with MediaPackage's segment boundaries (segment duration is a multiple of them).
        GopSize = 2,
        GopSizeUnits = "SECONDS",
        GopNumBFrames = 2,
        ParControl = "SPECIFIED",
        ParNumerator = 1,
        ParDenominator = 1,
        ScanType = "PROGRESSIVE",
        SceneChangeDetect = "ENABLED",
        AdaptiveQuantization = "AUTO",
    };

    private static MediaLiveAacSettings Aac(int bitrate) => new()
    {
        Bitrate = bitrate,
        CodingMode = "CODING_MODE_2_0",
        InputType = "NORMAL",
        Profile = "LC",
        RateControlMode = "CBR",
        RawFormat = "NONE",
        SampleRate = 48_000,
        Spec = "MPEG4",
    };
}
