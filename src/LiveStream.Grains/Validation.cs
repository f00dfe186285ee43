using LiveStream.Abstractions;

namespace LiveStream.Grains;

/// <summary>
/// The grains re-check the documented limits themselves: the front end validates first for good error
/// messages, but a grain is the last line before state is written and must not trust its caller.
/// </summary>
internal static class Validation
{
    public static void RequireId(string field, string? value)
    {
        if (!Limits.IsValidId(value))
        {
            throw DomainException.Invalid(field, $"'{field}' must match {Limits.IdPattern}.");
        }
    }

    public static void RequireText(string field, string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw DomainException.Invalid(field, $"'{field}' is required.");
        }

        OptionalText(field, value, maxLength);
    }

    public static void OptionalText(string field, string? value, int maxLength, bool multiline = false)
    {
        if (value is null)
        {
            return;
        }

        if (value.Length > maxLength)
        {
            throw DomainException.Invalid(field, $"'{field}' is longer than {maxLength} characters.");
        }

        if (Limits.TextProblem(value, multiline) is { } problem)
        {
            throw DomainException.Invalid(field, $"'{field}' {problem}.");
        }
    }

    public static void OptionalIdempotencyKey(string? value)
    {
        if (value is { Length: > Limits.MaxIdempotencyKeyLength })
        {
            throw DomainException.Invalid("Idempotency-Key", $"The idempotency key is longer than {Limits.MaxIdempotencyKeyLength} characters.");
        }

        if (value is not null && Limits.TextProblem(value, multiline: false) is { } problem)
        {
            throw DomainException.Invalid("Idempotency-Key", $"The idempotency key {problem}.");
        }
    }

    public static void OptionalAbsoluteUrl(string field, string? value)
    {
        if (value is null)
        {
            return;
        }

        OptionalText(field, value, Limits.MaxUrlLength);
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw DomainException.Invalid(field, $"'{field}' must be an absolute http(s) URL.");
        }
    }
}
