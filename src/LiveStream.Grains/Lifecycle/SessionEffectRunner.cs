using LiveStream.Abstractions.Mentors;
using LiveStream.Infrastructure.Media;
using Microsoft.Extensions.Logging;

namespace LiveStream.Grains.Lifecycle;

/// <summary>What the effect runner needs of its session grain: state it must commit, and the grain's own timers.</summary>
internal interface ISessionEffectHost
{
    /// <summary>The stream key, issued and committed on first use.</summary>
    Task<string> EnsureStreamKeyAsync();

    /// <summary>Commits a partly created channel before the provider creates the next resource that depends on it.</summary>
    Task SaveChannelAsync(MediaChannel partial);

    /// <summary>Keeps probing the playback on a timer; the grain feeds <see cref="LifecycleEvent.PlaybackReady"/> back.</summary>
    void ProbeLater();

    /// <summary>Reports a stop that finished after the command stopped waiting for it (called off the grain's turn).</summary>
    Task ReportStoppedAsync(MediaRecordingRequest recording);
}

/// <summary>
/// Carries out the effects <see cref="SessionMachine"/> decided, against the media provider and the mentor's index,
/// and turns each outcome into the event the machine folds in next. Null: the outcome is reported later (a probe
/// timer, a long stop). A failure is an <see cref="LifecycleEvent.EffectFailed"/>: the effect stays in the outbox.
/// </summary>
internal sealed class SessionEffectRunner(IMediaProvider media, MediaOptions options, IGrainFactory grains, ILogger logger)
{
    /// <summary>How long a command waits for a stop before answering "ending"; the stop goes on off the turn.</summary>
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(25);

    private Task<MediaRecordingRequest>? _stopping;

    public async Task<LifecycleEvent?> RunAsync(LifecycleState lifecycle, LifecycleEffect effect, ISessionEffectHost host)
    {
        var session = lifecycle.Session!;
        try
        {
            using var timeout = new CancellationTokenSource(CallTimeout);
            switch (effect)
            {
                case LifecycleEffect.PrepareChannel:
                    var key = await host.EnsureStreamKeyAsync();
                    return new LifecycleEvent.ChannelReady(await media.StartChannelAsync(session.LiveId, key, lifecycle.Channel, host.SaveChannelAsync, timeout.Token));
                case LifecycleEffect.ProbePlayback:
                    if (lifecycle.Channel is { } probed && await media.IsPlayableAsync(probed, CancellationToken.None))
                    {
                        return new LifecycleEvent.PlaybackReady();
                    }

                    host.ProbeLater();
                    return null;
                case LifecycleEffect.StopChannel:
                    return await StopChannelAsync(lifecycle.Channel, host);
                case LifecycleEffect.DeleteChannel:
                    if (lifecycle.Channel is { } channel)
                    {
                        await media.DeleteChannelAsync(channel, timeout.Token);
                    }

                    return new LifecycleEvent.ChannelDeleted();
                case LifecycleEffect.IndexSession:
                    await grains.GetGrain<IMentorGrain>(session.MentorId).RecordSessionChangeAsync(session.ToSummary());
                    return new LifecycleEvent.Indexed();
                default:
                    throw new ArgumentOutOfRangeException(nameof(effect), effect, "Unknown effect.");
            }
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Effect {Effect} of session {LiveId} failed; retrying in {RetryDelay}", effect, session.LiveId, options.RetryDelay);
            return new LifecycleEvent.EffectFailed(effect, exception.Message);
        }
    }

    /// <summary>The stop reported back through <see cref="ISessionEffectHost.ReportStoppedAsync"/> is no longer in flight.</summary>
    public void StopReported() => _stopping = null;

    /// <summary>
    /// Stops the channel off the grain's turn, bounded by <see cref="MediaOptions.StopTimeout"/>: the command waits a
    /// little, and a longer stop (a long recording's remux) reports back through the host.
    /// </summary>
    private async Task<LifecycleEvent?> StopChannelAsync(MediaChannel? channel, ISessionEffectHost host)
    {
        if (channel is null)
        {
            return new LifecycleEvent.ChannelStopped(new MediaRecordingRequest(null, Pending: false));
        }

        if (_stopping is null)
        {
            var limit = options.StopTimeout;
            _stopping = Task.Run(async () =>
            {
                using var timeout = new CancellationTokenSource(limit);
                return await media.StopChannelAsync(channel, timeout.Token);
            });
            _ = _stopping.ContinueWith(
                async stopped =>
                {
                    if (stopped.IsCompletedSuccessfully)
                    {
                        await host.ReportStoppedAsync(stopped.Result);
                    }
                },
                CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }

        var stopping = _stopping;
        if (await Task.WhenAny(stopping, Task.Delay(StopWait)) != stopping)
        {
            return null;
        }

        _stopping = null;
        return new LifecycleEvent.ChannelStopped(await stopping);
    }
}
