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

    /// <summary>Anchored with <c>\z</c>: in .NET <c>$</c> also matches before a final "\n", which let "abc\n" in as an id.</summary>
    public const string IdPattern = @"^[A-Za-z0-9_-]{1,64}\z";

    [GeneratedRegex(IdPattern, RegexOptions.CultureInvariant)]
    private static partial Regex IdRegex();

    public static bool IsValidId(string? value) => value is not null && IdRegex().IsMatch(value);

    /// <summary>
    /// Why <paramref name="value"/> is not acceptable text, or null. PostgreSQL refuses NUL; other control
    /// characters, unpaired surrogates (not encodable as UTF-8) and bidirectional overrides (text that renders
    /// differently from what it says) only serve to break or spoof what clients show. Single-line fields refuse
    /// line breaks too, so a value cannot forge a line in a log or a notification.
    /// </summary>
    public static string? TextProblem(string value, bool multiline)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var character = value[i];
            if (char.IsHighSurrogate(character) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
                continue;
            }

            if (char.IsSurrogate(character))
            {
                return "contains an unpaired surrogate";
            }

            if (character is '\n' or '\r' or '\t' or '\u2028' or '\u2029')
            {
                if (!multiline)
                {
                    return "must be a single line";
                }

                continue;
            }

            if (char.IsControl(character))
            {
                return "contains control characters";
            }

            if (character is (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069'))
            {
                return "contains bidirectional control characters";
            }
        }

        return null;
    }
}
