using LiveStream.Host.Hosting;
using LiveStream.Infrastructure.Media;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace LiveStream.Host.Tests.Hosting;

public sealed class MediaHostingTests
{
    [Theory]
    [InlineData("api", false)]
    [InlineData("silo", true)]
    [InlineData("all", true)]
    public void Only_processes_that_host_grains_listen_to_the_media_events_queue(string role, bool listens)
    {
        // Arrange: AWS media, as deployed.
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [HostRoleExtensions.ConfigurationKey] = role,
            ["Media:Provider"] = "aws",
            ["Media:Aws:RecordingEventsQueueUrl"] = "https://sqs.us-east-1.amazonaws.com/123456789012/livestream-recordings",
        });

        // Act
        builder.AddLiveStreamMediaServices();

        // Assert
        var hosted = builder.Services.Where(d => d.ServiceType == typeof(IHostedService)).Select(d => d.ImplementationType);
        Assert.Equal(listens, hosted.Contains(typeof(RecordingEventListener)));
    }
}
