namespace LiveStream.Infrastructure.Aws;

internal static class AwsPaths
{
    /// <summary>
    /// Checks an id that goes into a URL path. Ids of MediaLive and MediaPackage never contain a slash, so one
    /// here is a caller bug that would otherwise silently address another resource.
    /// </summary>
    public static string Id(string? value, string parameterName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, parameterName);
        if (value.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException("An AWS resource id cannot contain '/'.", parameterName);
        }

        return value;
    }
}
