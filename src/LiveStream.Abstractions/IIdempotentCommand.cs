namespace LiveStream.Abstractions;

/// <summary>
/// An argument that carries the client's Idempotency-Key. A grain call with such an argument and a key set is
/// safe to send again after a failure whose outcome is unknown (the grain counts the key once), so the front
/// end may retry it through silo churn like an <see cref="IdempotentAttribute"/> method.
/// </summary>
public interface IIdempotentCommand
{
    string? IdempotencyKey { get; }
}
