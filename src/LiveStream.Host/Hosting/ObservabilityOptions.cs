namespace LiveStream.Host.Hosting;

/// <summary>Section <c>Observability</c>: where metrics and the Orleans dashboard are served. Everything is off by default.</summary>
public sealed class ObservabilityOptions
{
    public const string Section = "Observability";

    public ObservabilityEndpointOptions Prometheus { get; set; } = new() { Path = "/metrics" };

    /// <summary>The Orleans dashboard; silos only (roles <c>silo</c> and <c>all</c>).</summary>
    public ObservabilityEndpointOptions Dashboard { get; set; } = new() { Path = "/dashboard" };

    /// <summary>
    /// How many per-session series (<c>livestream.session.*</c>) each instrument keeps over the process's life;
    /// sessions beyond it fold into one overflow series. Aggregates (<c>livestream.viewers</c>, <c>livestream.reactions</c>) stay exact.
    /// </summary>
    public int SessionSeriesLimit { get; set; } = 2000;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        Prometheus.Validate($"{Section}:{nameof(Prometheus)}", errors);
        Dashboard.Validate($"{Section}:{nameof(Dashboard)}", errors);
        if (Prometheus.Enabled && Dashboard.Enabled && Prometheus.Path.Equals(Dashboard.Path, StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"{Section}:{nameof(Prometheus)}:{nameof(ObservabilityEndpointOptions.Path)} and {Section}:{nameof(Dashboard)}:{nameof(ObservabilityEndpointOptions.Path)} must differ.");
        }

        if (SessionSeriesLimit is < 1 or > 100_000)
        {
            errors.Add($"{Section}:{nameof(SessionSeriesLimit)} must be between 1 and 100000.");
        }

        return errors;
    }

    /// <summary>The validated options of <paramref name="configuration"/>; a bad setting stops the process naming the key.</summary>
    public static ObservabilityOptions From(IConfiguration configuration)
    {
        var options = configuration.GetSection(Section).Get<ObservabilityOptions>() ?? new ObservabilityOptions();
        var errors = options.Validate();
        return errors.Count == 0
            ? options
            : throw new Microsoft.Extensions.Options.OptionsValidationException(Section, typeof(ObservabilityOptions), errors);
    }
}

public sealed class ObservabilityEndpointOptions
{
    public bool Enabled { get; set; }

    public string Path { get; set; } = "/";

    /// <summary>
    /// Serve only on this extra port (the process listens on it too); empty: on the main HTTP port. A port the load
    /// balancer does not forward keeps the endpoint inside the network.
    /// </summary>
    public int? Port { get; set; }

    internal void Validate(string key, List<string> errors)
    {
        if (!Enabled)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(Path) || Path[0] != '/' || Path.Length < 2 || Path.EndsWith('/') || Path.Contains('?') || Path.Contains('#'))
        {
            errors.Add($"{key}:{nameof(Path)} must be a path like /name (leading slash, no trailing slash); got '{Path}'.");
        }

        if (Port is < 1 or > 65535)
        {
            errors.Add($"{key}:{nameof(Port)} must be between 1 and 65535; got {Port}.");
        }
    }
}
