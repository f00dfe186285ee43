namespace LiveStream.Abstractions;

/// <summary>
/// Marks a grain method that is safe to call again after a failure whose outcome is unknown: calling it twice
/// has the effect of calling it once. The front end retries such calls while the cluster changes shape.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = true)]
public sealed class IdempotentAttribute : Attribute;
