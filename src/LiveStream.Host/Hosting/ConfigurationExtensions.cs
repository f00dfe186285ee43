namespace LiveStream.Host.Hosting;

public static class ConfigurationExtensions
{
    /// <summary>
    /// Short command-line switches for what operators type most: <c>--role silo</c>, <c>--port 8081</c>. The port
    /// listens on loopback unless <c>--address</c> (<c>LiveStream:HttpAddress</c>) names another address.
    /// </summary>
    public static void AddLiveStreamConfiguration(this IHostApplicationBuilder builder, string[] args)
    {
        var arguments = args.SkipWhile(arg => !arg.StartsWith('-')).ToArray();
        builder.Configuration.AddCommandLine(arguments, new Dictionary<string, string>
        {
            ["--role"] = HostRoleExtensions.ConfigurationKey,
            ["--port"] = "LiveStream:HttpPort",
            ["--address"] = "LiveStream:HttpAddress",
        });

        if (builder.Configuration["LiveStream:HttpPort"] is { Length: > 0 } port && builder.Configuration["urls"] is null && builder.Configuration["ASPNETCORE_URLS"] is null)
        {
            var address = builder.Configuration["LiveStream:HttpAddress"] is { Length: > 0 } configured ? configured : "127.0.0.1";
            builder.Configuration["urls"] = $"http://{address}:{port}";
        }
    }
}
