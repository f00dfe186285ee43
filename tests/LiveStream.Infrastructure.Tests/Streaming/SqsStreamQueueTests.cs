using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using LiveStream.Infrastructure.Streaming;

namespace LiveStream.Infrastructure.Tests.Streaming;

/// <summary>What only the SQS backend does: queue provisioning with a redrive policy, and long polling.</summary>
public sealed class SqsStreamQueueTests(QueueBackendEnvironment environment) : IClassFixture<QueueBackendEnvironment>
{
    [Fact]
    public async Task Created_partition_queues_redrive_to_the_dead_letter_queue_after_max_attempts()
    {
        var options = environment.Options(QueueBackends.Sqs, o =>
        {
            o.MaxAttempts = 4;
            o.VisibilityTimeout = TimeSpan.FromSeconds(45);
        });

        await using var queue = await QueueBackendEnvironment.CreateQueueAsync(options, "events");

        using var client = environment.CreateSqsClient();
        var deadLetterUrl = (await client.GetQueueUrlAsync($"{options.QueueNamePrefix}-events-dlq")).QueueUrl;
        var deadLetterArn = (await client.GetQueueAttributesAsync(deadLetterUrl, [QueueAttributeName.QueueArn])).QueueARN;
        for (var partition = 0; partition < options.QueueCount; partition++)
        {
            var url = (await client.GetQueueUrlAsync($"{options.QueueNamePrefix}-events-{partition}")).QueueUrl;
            var attributes = await client.GetQueueAttributesAsync(url, [QueueAttributeName.All]);
            using var redrive = JsonDocument.Parse(attributes.Attributes[QueueAttributeName.RedrivePolicy]);
            Assert.Equal(deadLetterArn, redrive.RootElement.GetProperty("deadLetterTargetArn").GetString());
            Assert.Equal("4", redrive.RootElement.GetProperty("maxReceiveCount").ToString());
            Assert.Equal(45, attributes.VisibilityTimeout);
        }
    }

    [Fact]
    public async Task Long_poll_returns_a_message_sent_while_it_waits()
    {
        var options = environment.Options(QueueBackends.Sqs, o => o.Sqs.WaitTime = TimeSpan.FromSeconds(5));
        await using var queue = await QueueBackendEnvironment.CreateQueueAsync(options);
        var stopwatch = Stopwatch.StartNew();

        var receive = queue.ReceiveAsync(0, 10, default);
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        await queue.EnqueueAsync(0, [Encoding.UTF8.GetBytes("late")], default);
        var received = await receive;

        Assert.Equal("late", Encoding.UTF8.GetString(Assert.Single(received).Payload));
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(4.5));
    }

    [Fact]
    public async Task Missing_queues_fail_initialization_when_creation_is_disabled()
    {
        var options = environment.Options(QueueBackends.Sqs, o => o.Sqs.CreateQueues = false);

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => QueueBackendEnvironment.CreateQueueAsync(options, "absent"));

        Assert.Contains($"{options.QueueNamePrefix}-absent-dlq", failure.Message, StringComparison.Ordinal);
        Assert.IsType<QueueDoesNotExistException>(failure.InnerException);
    }
}
