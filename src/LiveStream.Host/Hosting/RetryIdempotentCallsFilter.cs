using System.Reflection;
using LiveStream.Abstractions;
using Orleans.Runtime;

namespace LiveStream.Host.Hosting;

/// <summary>
/// When a silo dies or drains, calls routed to it fail until the directory has moved its grains. For calls
/// that are idempotent and that came from the HTTP front end (not from inside a grain, which must not stall
/// its turn), a short retry bridges that gap so clients see a slower answer rather than an error.
/// </summary>
public sealed class RetryIdempotentCallsFilter(ILogger<RetryIdempotentCallsFilter> logger) : IOutgoingGrainCallFilter
{
    private static readonly TimeSpan[] Delays = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)];

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        if (context.SourceContext is not null || context.InterfaceMethod?.GetCustomAttribute<IdempotentAttribute>() is null)
        {
            await context.Invoke();
            return;
        }

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await context.Invoke();
                return;
            }
            catch (Exception exception) when (attempt < Delays.Length && IsTransient(exception))
            {
                logger.LogWarning("Retrying {Interface}.{Method} after {Error} (attempt {Attempt})", context.InterfaceName, context.MethodName, exception.GetType().Name, attempt + 1);
                await Task.Delay(Delays[attempt]);
            }
        }
    }

    private static bool IsTransient(Exception exception) =>
        exception is SiloUnavailableException or OrleansMessageRejectionException or Orleans.Runtime.Messaging.ConnectionFailedException;
}
