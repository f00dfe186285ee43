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
/// <para>
/// A call that was inside a silo when it died gets no answer at all: Orleans' client only gives up on it at the
/// response timeout. On the front end, a safe call whose method takes a <see cref="CancellationToken"/> carries
/// the <see cref="SiloLossSignal"/>'s token, so a lost gateway connection cancels the attempt (Orleans completes
/// a cancelled call at once) and it goes again without waiting.
/// </para>
/// </summary>
public sealed class RetryIdempotentCallsFilter(
    IOptions<ClusterResilienceOptions> options,
    ILogger<RetryIdempotentCallsFilter> logger,
    SiloLossSignal? siloLoss = null) : IOutgoingGrainCallFilter
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(50);

    // Every call from the front end passes here; reading attributes by reflection each time showed in the profile.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<MethodInfo, bool> IdempotentMethods = new();

    // Short enough that a call waiting for a dead silo's grains to move (about a second once the departure
    // check declares it dead) is not left sleeping long after they have; long enough not to flood the cluster.
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(500);

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
            var lost = siloLoss?.Current ?? CancellationToken.None;
            try
            {
                await InvokeAsync(context, lost);
                return;
            }
            catch (AttemptAbandonedException)
            {
                if (watch.Elapsed >= budget)
                {
                    throw new SiloUnavailableException($"{context.InterfaceName}.{context.MethodName} was abandoned when a silo was lost, after the retry budget ran out.");
                }

                // The attempt was abandoned because a silo went away while it was in flight; go again at once.
                logger.LogWarning(
                    "Retrying {Interface}.{Method} abandoned in flight when a silo was lost (attempt {Attempt}, {ElapsedMs} ms)",
                    context.InterfaceName, context.MethodName, attempt, (long)watch.Elapsed.TotalMilliseconds);
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

    /// <summary>
    /// Sends the call with <paramref name="lost"/> linked into its cancellation token argument, if it has one, so
    /// that the attempt ends when a silo is lost. The caller's own token is put back afterwards, for the next attempt.
    /// </summary>
    private static async Task InvokeAsync(IOutgoingGrainCallContext context, CancellationToken lost)
    {
        var request = context.Request;
        var index = lost.CanBeCanceled ? CancellationTokenIndex(request) : -1;
        if (index < 0)
        {
            await context.Invoke();
            return;
        }

        var callerToken = (CancellationToken)request.GetArgument(index)!;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(callerToken, lost);
        request.SetArgument(index, linked.Token);
        try
        {
            await context.Invoke();
        }
        catch (OperationCanceledException) when (!callerToken.IsCancellationRequested && lost.IsCancellationRequested)
        {
            throw new AttemptAbandonedException();
        }
        catch (OperationCanceledException) when (callerToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(callerToken);
        }
        finally
        {
            request.SetArgument(index, callerToken);
        }
    }

    private static int CancellationTokenIndex(Orleans.Serialization.Invocation.IInvokable request)
    {
        if (!request.IsCancellable)
        {
            return -1;
        }

        for (var index = 0; index < request.GetArgumentCount(); index++)
        {
            if (request.GetArgument(index) is CancellationToken)
            {
                return index;
            }
        }

        return -1;
    }

    private static bool IsSafeToRepeat(IOutgoingGrainCallContext context)
    {
        if (context.InterfaceMethod is { } method && IdempotentMethods.GetOrAdd(method, static m => m.GetCustomAttribute<IdempotentAttribute>() is not null))
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

/// <summary>An attempt given up because a silo was lost while it was in flight (never leaves the filter).</summary>
internal sealed class AttemptAbandonedException : Exception;
