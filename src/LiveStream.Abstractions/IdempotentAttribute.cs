namespace LiveStream.Abstractions;

/// <summary>
/// Marks a grain method that is safe to call again after a failure whose outcome is unknown: calling it twice
/// has the effect of calling it once. The front end retries such calls while the cluster changes shape.
/// Give such a method a trailing <c>CancellationToken cancellationToken = default</c> when the front end calls it:
/// the front end then abandons an attempt caught inside a silo that died as soon as it loses that silo, instead
/// of waiting for the response timeout (the grain itself may ignore the token).
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = true)]
public sealed class IdempotentAttribute : Attribute;
