namespace LiveStream.Host.Hosting;

public static class ConfigurationExtensions
{
    /// <summary>Short command-line switches for what operators type most: <c>--role silo</c>.</summary>
    public static void AddLiveStreamConfiguration(this IHostApplicationBuilder builder, string[] args)
    {
        var arguments = args.SkipWhile(arg => !arg.StartsWith('-')).ToArray();
        builder.Configuration.AddCommandLine(arguments, new Dictionary<string, string>
        {
            ["--role"] = HostRoleExtensions.ConfigurationKey,
            ["--port"] = "LiveStream:HttpPort",
        });

        if (builder.Configuration["LiveStream:HttpPort"] is { Length: > 0 } port && builder.Configuration["urls"] is null && builder.Configuration["ASPNETCORE_URLS"] is null)
        {
            builder.Configuration["urls"] = $"http://0.0.0.0:{port}";
        }
    }
}
