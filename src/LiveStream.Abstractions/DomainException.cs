namespace LiveStream.Abstractions;

[GenerateSerializer]
[Alias("livestream.domain-error-kind")]
public enum DomainErrorKind
{
    /// <summary>The input is well-formed but not acceptable (400).</summary>
    Invalid = 0,

    /// <summary>A referenced resource does not exist (404).</summary>
    NotFound = 1,

    /// <summary>The operation is not legal in the resource's current state (409).</summary>
    Conflict = 2,

    /// <summary>The caller may not act on this resource (403).</summary>
    Forbidden = 3,

    /// <summary>An idempotency key came back with a different request than the one it was first used with (422).</summary>
    IdempotencyKeyReused = 4,
}

/// <summary>
/// A rule of the domain refused an operation. Grains throw it; it crosses the silo boundary intact
/// so the front end can answer with the matching problem+json status and the offending field.
/// </summary>
[GenerateSerializer]
[Alias("livestream.domain-exception")]
public sealed class DomainException : Exception
{
    public DomainException(DomainErrorKind kind, string message, string? field = null)
        : base(message)
    {
        Kind = kind;
        Field = field;
    }

    [Id(0)]
    public DomainErrorKind Kind { get; }

    [Id(1)]
    public string? Field { get; }

    public static DomainException NotFound(string field, string message) => new(DomainErrorKind.NotFound, message, field);

    public static DomainException Invalid(string field, string message) => new(DomainErrorKind.Invalid, message, field);

    public static DomainException Conflict(string message) => new(DomainErrorKind.Conflict, message);

    public static DomainException IdempotencyKeyReused(string message) => new(DomainErrorKind.IdempotencyKeyReused, message, "Idempotency-Key");
}
