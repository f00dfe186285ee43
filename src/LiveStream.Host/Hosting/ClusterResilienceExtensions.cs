using System.ComponentModel.DataAnnotations;
using Orleans.Configuration;

namespace LiveStream.Host.Hosting;

/// <summary>How the front end rides out silo churn (section <c>Orleans:Resilience</c>).</summary>
public sealed class ClusterResilienceOptions
{
    public const string Section = "Orleans:Resilience";

    /// <summary>
    /// How long a safe-to-repeat call from the front end keeps retrying transient cluster failures. It must
    /// cover the detection window of a crashed silo (about <c>NumMissedProbesLimit</c> probe periods plus the
    /// vote, ~6-8 s with the membership defaults below) plus a re-activation, and stay well under an ALB's
    /// idle timeout (60 s) so a client sees a slow answer, not a dropped connection.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RetryBudget { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>
/// Membership and client settings that decide how fast the cluster notices a dead silo and how quickly the
/// front end stops using it. Every value can be overridden under <c>Orleans:Membership</c> (silos; names of
/// <see cref="ClusterMembershipOptions"/>) and <c>Orleans:Gateway</c> / <c>Orleans:Messaging</c> (API processes; <see cref="GatewayOptions"/>,
/// <see cref="ClientMessagingOptions"/>).
/// </summary>
public static class ClusterResilienceExtensions
{
    public const string MembershipSection = "Orleans:Membership";
    public const string GatewaySection = "Orleans:Gateway";

    public static void AddClusterResilienceOptions(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ClusterResilienceOptions>()
            .Bind(builder.Configuration.GetSection(ClusterResilienceOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
    }

    public static void ConfigureMembership(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.Configure<ClusterMembershipOptions>(options =>
        {
            // Upstream defaults (5 s probes, 3 misses, 2 votes, 60 s table refresh) take 15-20 s or more to
            // declare a crashed silo dead, and every call to a grain that lived there fails until then. Our
            // goal is clients seeing errors for at most 15 s, so detection must take well under half of that.
            //
            // Probes are pings between tasks of one VPC (sub-millisecond round trips), so 2 s is still three
            // orders of magnitude of headroom; Orleans adapts the effective timeout per silo between Min and
            // Max (1-8 s here) from observed round trips, extends it while this silo itself is degraded (GC,
            // thread-pool starvation), and suppresses votes against a silo whose connection still carries
            // traffic, which is what keeps a short probe from evicting a healthy but busy silo.
            options.ProbeTimeout = TimeSpan.FromSeconds(2);

            // Three missed probes (~6 s) before suspecting: one lost ping is not a death.
            options.NumMissedProbesLimit = 3;

            // Two independent voters: with three silos both survivors must agree, so one silo with a bad
            // network cannot evict a healthy one on its own.
            options.NumVotesForDeathDeclaration = 2;

            // Votes older than the detection window are stale evidence; 30 s keeps a vote from a previous
            // incident from combining with an unrelated new suspicion while leaving slack to gather two votes.
            options.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(30);

            // Gossip spreads changes at once; the periodic table read is the fallback when a gossip message is
            // lost. 10 s bounds that fallback and costs one small query per silo per 10 s.
            options.TableRefreshTimeout = TimeSpan.FromSeconds(10);

            // Heartbeats in the table mark stale entries (3 misses = 30 s) and drive dashboards; 10 s is cheap.
            options.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(10);

            configuration.GetSection(MembershipSection).Bind(options);
        });
    }

    public const string MessagingSection = "Orleans:Messaging";

    public static void ConfigureGateways(this IClientBuilder client, IConfiguration configuration)
    {
        client.Configure<ClientMessagingOptions>(options =>
        {
            // A request that was inside a silo when it was killed gets no answer and no error: the front end
            // only learns of it when the response timeout fires (30 s upstream), long after the cluster has
            // recovered. Front-end calls answer in milliseconds (slow media control calls carry their own
            // [ResponseTimeout]), so 10 s still leaves two orders of magnitude for a loaded silo, and a
            // safe-to-repeat call is then retried once within RetryBudget.
            options.ResponseTimeout = TimeSpan.FromSeconds(10);
            configuration.GetSection(MessagingSection).Bind(options);
        });

        client.Configure<GatewayOptions>(options =>
        {
            // The client learns new and departed gateways (silos) from the membership table; at the default
            // 60 s a restarted silo takes a minute to receive front-end traffic, which during a rolling restart
            // leaves the cluster's gateways one short for longer than the restart itself. 5 s is one cheap
            // query per API task.
            options.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5);
            configuration.GetSection(GatewaySection).Bind(options);
        });
    }
}
