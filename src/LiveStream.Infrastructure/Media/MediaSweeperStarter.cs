using LiveStream.Abstractions.Sessions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LiveStream.Infrastructure.Media;

/// <summary>
/// Makes sure the cluster's media sweeper is scheduled: every silo asks once at start (idempotent), retrying until
/// the cluster answers, so the sweeper runs whichever silos are up and its reminder survives any of them.
/// </summary>
public sealed partial class MediaSweeperStarter(IGrainFactory grains, TimeProvider clock, ILogger<MediaSweeperStarter> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await grains.GetGrain<IMediaSweeperGrain>(IMediaSweeperGrain.Key).EnsureScheduledAsync();
                return;
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // The silo may not be serving yet, or the database is briefly away: ask again shortly.
                LogNotYet(exception, RetryDelay);
            }

            try
            {
                await Task.Delay(RetryDelay, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Media sweeper not scheduled yet; asking again in {RetryDelay}")]
    private partial void LogNotYet(Exception exception, TimeSpan retryDelay);
}
