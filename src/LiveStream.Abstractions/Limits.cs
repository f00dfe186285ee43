using System.Text.RegularExpressions;

namespace LiveStream.Abstractions;

/// <summary>The documented input limits of the public contract (DESIGN §3).</summary>
public static partial class Limits
{
    public const int MaxIdLength = 64;
    public const int MaxTitleLength = 200;
    public const int MaxCommentLength = 500;
    public const int MaxDisplayNameLength = 100;
    public const int MaxBioLength = 2000;
    public const int MaxDescriptionLength = 2000;
    public const int MaxUrlLength = 2048;
    public const int MaxDeviceTokenLength = 4096;
    public const int MaxRequestBodyBytes = 16 * 1024;
    /// <summary>Matches the <c>request_key</c> columns that make a retried request land on the same row.</summary>
    public const int MaxIdempotencyKeyLength = 200;
    public const int MaxPageSize = 100;
    public const int DefaultPageSize = 20;

    /// <summary>How far ahead a session may be scheduled.</summary>
    public static readonly TimeSpan MaxScheduleHorizon = TimeSpan.FromDays(366);

    /// <summary>Tolerance for clock skew between a client and the cluster when checking "not in the past".</summary>
    public static readonly TimeSpan ScheduleClockSkew = TimeSpan.FromMinutes(1);

    public const string IdPattern = "^[A-Za-z0-9_-]{1,64}$";

    [GeneratedRegex(IdPattern, RegexOptions.CultureInvariant)]
    private static partial Regex IdRegex();

    public static bool IsValidId(string? value) => value is not null && IdRegex().IsMatch(value);
}
