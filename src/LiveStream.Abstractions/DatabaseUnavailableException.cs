namespace LiveStream.Abstractions;

/// <summary>
/// The database could not be reached in time (down, failing over, hung) or its circuit is open. Nothing was
/// written by the failed operation; the caller may retry after <see cref="RetryAfterSeconds"/>. Thrown by the
/// silo in place of provider exceptions so it crosses the silo boundary intact and the front end answers 503.
/// </summary>
[GenerateSerializer]
[Alias("livestream.database-unavailable")]
public sealed class DatabaseUnavailableException : Exception
{
    // No inner exception: provider exceptions (Npgsql) are logged where they happen and need not cross the wire.
    public DatabaseUnavailableException(string message, int retryAfterSeconds)
        : base(message)
    {
        RetryAfterSeconds = retryAfterSeconds;
    }

    [Id(0)]
    public int RetryAfterSeconds { get; }
}
