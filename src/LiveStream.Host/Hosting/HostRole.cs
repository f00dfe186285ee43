namespace LiveStream.Host.Hosting;

/// <summary>The three roles of the one executable (DESIGN §1).</summary>
public enum HostRole
{
    /// <summary>Silo and API in one process: the local default.</summary>
    All,

    /// <summary>Grains only; serves health and metrics over HTTP.</summary>
    Silo,

    /// <summary>The thin front end: an Orleans client that hosts no grains.</summary>
    Api,
}

public static class HostRoleExtensions
{
    public const string ConfigurationKey = "LiveStream:Role";

    public static HostRole GetRole(this IConfiguration configuration)
    {
        var value = configuration[ConfigurationKey];
        if (string.IsNullOrWhiteSpace(value))
        {
            return HostRole.All;
        }

        return Enum.TryParse<HostRole>(value, ignoreCase: true, out var role) && Enum.IsDefined(role)
            ? role
            : throw new InvalidOperationException($"{ConfigurationKey} must be one of all, silo, api; got '{value}'.");
    }

    public static bool HostsGrains(this HostRole role) => role is HostRole.All or HostRole.Silo;

    public static bool ServesApi(this HostRole role) => role is HostRole.All or HostRole.Api;
}
