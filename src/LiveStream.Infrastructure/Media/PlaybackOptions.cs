using Microsoft.Extensions.Options;

namespace LiveStream.Infrastructure.Media;

/// <summary>
/// Private playback (section <c>Media:Playback</c>): playback and recording URLs are handed out signed and expire.
/// The local pipeline checks an HMAC token in the media path; AWS uses CloudFront signed URLs (custom policy).
/// </summary>
public sealed class PlaybackOptions
{
    public const string Section = "Media:Playback";

    public const int MinimumKeyLength = 32;

    /// <summary>How long a handed-out URL plays; a client asks for the session again to get a fresh one.</summary>
    public TimeSpan UrlLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Local pipeline: the HMAC key of media tokens, shared by every process that serves or hands out media URLs
    /// (run.sh generates one into .local/). Empty: a random key per process, which suits a single process only.
    /// </summary>
    public string SigningKey { get; set; } = string.Empty;

    /// <summary>AWS: the id of the CloudFront public key (in the distribution's trusted key group).</summary>
    public string CloudFrontKeyId { get; set; } = string.Empty;

    /// <summary>AWS: the matching RSA private key (PEM), injected from Secrets Manager; never logged.</summary>
    public string CloudFrontPrivateKey { get; set; } = string.Empty;

    public static IEnumerable<string> Validate(PlaybackOptions options, bool aws)
    {
        if (options.UrlLifetime < TimeSpan.FromSeconds(10) || options.UrlLifetime > TimeSpan.FromHours(24))
        {
            yield return "Media:Playback:UrlLifetime must be between 10 seconds and 24 hours.";
        }

        if (options.SigningKey.Length is > 0 and < MinimumKeyLength)
        {
            yield return $"Media:Playback:SigningKey must be at least {MinimumKeyLength} characters.";
        }

        if (aws && (options.CloudFrontKeyId.Length == 0 || options.CloudFrontPrivateKey.Length == 0))
        {
            yield return "Media:Playback:CloudFrontKeyId and CloudFrontPrivateKey are required with Media:Provider=aws (private playback).";
        }
    }

    /// <summary>Names every bad key at start; which keys are required depends on the media provider.</summary>
    public sealed class Validator(bool aws) : IValidateOptions<PlaybackOptions>
    {
        public ValidateOptionsResult Validate(string? name, PlaybackOptions options) =>
            PlaybackOptions.Validate(options, aws).ToList() is { Count: > 0 } errors ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
    }
}
