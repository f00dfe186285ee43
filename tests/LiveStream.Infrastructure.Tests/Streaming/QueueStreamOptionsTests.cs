using LiveStream.Infrastructure.Streaming;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace LiveStream.Infrastructure.Tests.Streaming;

public sealed class QueueStreamOptionsTests
{
    [Fact]
    public void Options_bind_from_a_configuration_section()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Streaming:Queue:Backend"] = "Sqs",
            ["Streaming:Queue:QueueNamePrefix"] = "prod-livestream",
            ["Streaming:Queue:QueueCount"] = "16",
            ["Streaming:Queue:VisibilityTimeout"] = "00:01:00",
            ["Streaming:Queue:MaxAttempts"] = "7",
            ["Streaming:Queue:BatchSize"] = "10",
            ["Streaming:Queue:PollInterval"] = "00:00:00.500",
            ["Streaming:Queue:RetryBaseDelay"] = "00:00:02",
            ["Streaming:Queue:Sqs:ServiceUrl"] = "http://localhost:5000/",
            ["Streaming:Queue:Sqs:Region"] = "eu-west-1",
            ["Streaming:Queue:Sqs:WaitTime"] = "00:00:20",
            ["Streaming:Queue:Sqs:CreateQueues"] = "false",
        }).Build();
        var services = new ServiceCollection();
        services.AddOptions<QueueStreamOptions>("events").Bind(configuration.GetSection("Streaming:Queue"));

        var options = services.BuildServiceProvider().GetRequiredService<IOptionsMonitor<QueueStreamOptions>>().Get("events");

        Assert.Equal(QueueStreamBackend.Sqs, options.Backend);
        Assert.Equal("prod-livestream", options.QueueNamePrefix);
        Assert.Equal(16, options.QueueCount);
        Assert.Equal(TimeSpan.FromMinutes(1), options.VisibilityTimeout);
        Assert.Equal(7, options.MaxAttempts);
        Assert.Equal(10, options.BatchSize);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.PollInterval);
        Assert.Equal(TimeSpan.FromSeconds(2), options.RetryBaseDelay);
        Assert.Equal("http://localhost:5000/", options.Sqs.ServiceUrl);
        Assert.Equal("eu-west-1", options.Sqs.Region);
        Assert.Equal(TimeSpan.FromSeconds(20), options.Sqs.WaitTime);
        Assert.False(options.Sqs.CreateQueues);
        Assert.Empty(options.Validate("events"));
    }

    [Fact]
    public void Defaults_with_a_connection_string_are_valid()
    {
        var options = new QueueStreamOptions { ConnectionString = "Host=localhost" };

        Assert.Empty(options.Validate("events"));
    }

    [Fact]
    public void Every_invalid_setting_is_reported_by_name()
    {
        var options = new QueueStreamOptions
        {
            QueueNamePrefix = "has space",
            QueueCount = 0,
            VisibilityTimeout = TimeSpan.FromMilliseconds(10),
            MaxAttempts = 0,
            BatchSize = 0,
        };

        var errors = string.Join("\n", options.Validate("events"));

        Assert.Contains(nameof(QueueStreamOptions.ConnectionString), errors, StringComparison.Ordinal);
        Assert.Contains(nameof(QueueStreamOptions.QueueNamePrefix), errors, StringComparison.Ordinal);
        Assert.Contains(nameof(QueueStreamOptions.QueueCount), errors, StringComparison.Ordinal);
        Assert.Contains(nameof(QueueStreamOptions.VisibilityTimeout), errors, StringComparison.Ordinal);
        Assert.Contains(nameof(QueueStreamOptions.MaxAttempts), errors, StringComparison.Ordinal);
        Assert.Contains(nameof(QueueStreamOptions.BatchSize), errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Sqs_backend_needs_a_region_or_service_url_and_a_legal_wait_time()
    {
        var options = new QueueStreamOptions
        {
            Backend = QueueStreamBackend.Sqs,
            Sqs = new SqsQueueOptions { WaitTime = TimeSpan.FromSeconds(30), AccessKeyId = "only-half" },
        };

        var errors = string.Join("\n", options.Validate("events"));

        Assert.Contains("Sqs:Region", errors, StringComparison.Ordinal);
        Assert.Contains("Sqs:WaitTime", errors, StringComparison.Ordinal);
        Assert.Contains("Sqs:AccessKeyId", errors, StringComparison.Ordinal);
        Assert.DoesNotContain(nameof(QueueStreamOptions.ConnectionString), errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Retry_delay_doubles_per_attempt_up_to_the_maximum()
    {
        var options = new QueueStreamOptions { RetryBaseDelay = TimeSpan.FromSeconds(1), RetryMaxDelay = TimeSpan.FromSeconds(10) };

        var delays = Enumerable.Range(1, 6).Select(options.RetryDelay).ToList();

        Assert.Equal(
            [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10)],
            delays);
    }

    [Fact]
    public async Task Client_with_invalid_options_refuses_to_start()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client => client
            .UseLocalhostClustering()
            .AddLiveStreamQueueStreams("events", options => options.Configure(o => o.QueueCount = 0)));
        using var host = builder.Build();

        var failure = await Assert.ThrowsAsync<OrleansConfigurationException>(() => host.StartAsync());

        Assert.Contains("QueueCount", failure.Message, StringComparison.Ordinal);
    }
}
