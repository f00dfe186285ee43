using LiveStream.Infrastructure.Media;

namespace LiveStream.Host.Hosting;

public static class MediaHostingExtensions
{
    /// <summary>
    /// The media provider in every role; the media events queue listener only where grains run (the API role's task
    /// role may not receive from the queue, and every event it carries is a grain call).
    /// </summary>
    public static void AddLiveStreamMediaServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddLiveStreamMedia(builder.Configuration);
        if (builder.Configuration.GetRole().HostsGrains())
        {
            builder.Services.AddLiveStreamMediaEvents(builder.Configuration);
        }
    }
}
