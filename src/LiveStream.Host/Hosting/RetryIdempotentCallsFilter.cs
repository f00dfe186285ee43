using System.Diagnostics;
using System.Reflection;
using LiveStream.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace LiveStream.Host.Hosting;

/// <summary>
/// When a silo dies or drains, calls routed to it fail until membership has declared it dead (or it has left)
/// and the directory has moved its grains. For calls that are safe to repeat — <see cref="IdempotentAttribute"/>
/// methods, and commands carrying the client's Idempotency-Key — and that came from the HTTP front end (not
/// from inside a grain, which must not stall its turn), retrying within a budget that covers the membership
/// detection window turns that gap into a slower answer instead of an error.
/// </summary>
public sealed class RetryIdempotentCallsFilter(IOptions<ClusterResilienceOptions> options, ILogger<RetryIdempotentCallsFilter> logger) : IOutgoingGrainCallFilter
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(1);

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        if (context.SourceContext is not null || !IsSafeToRepeat(context))
        {
            await context.Invoke();
            return;
        }

        var budget = options.Value.RetryBudget;
        var watch = Stopwatch.StartNew();
        var delay = FirstDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await context.Invoke();
                return;
            }
            catch (Exception exception) when (IsTransient(exception) && watch.Elapsed + delay < budget)
            {
                logger.LogWarning(
                    "Retrying {Interface}.{Method} after {Error} (attempt {Attempt}, {ElapsedMs} ms into a {BudgetMs} ms budget)",
                    context.InterfaceName, context.MethodName, exception.GetType().Name, attempt, (long)watch.Elapsed.TotalMilliseconds, (long)budget.TotalMilliseconds);
                await Task.Delay(delay);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
            }
        }
    }

    private static bool IsSafeToRepeat(IOutgoingGrainCallContext context)
    {
        if (context.InterfaceMethod?.GetCustomAttribute<IdempotentAttribute>() is not null)
        {
            return true;
        }

        var request = context.Request;
        for (var index = 0; index < request.GetArgumentCount(); index++)
        {
            if (request.GetArgument(index) is IIdempotentCommand { IdempotencyKey: { Length: > 0 } })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Failures that mean "the cluster is changing shape", never "the call was wrong".</summary>
    internal static bool IsTransient(Exception exception) =>
        exception is SiloUnavailableException
            or OrleansMessageRejectionException
            or Orleans.Runtime.Messaging.ConnectionFailedException
            or GatewayTooBusyException
            // No answer in time: the request may have died with its silo. Safe calls may go again.
            or TimeoutException;
}
