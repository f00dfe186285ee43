using System.Collections.Concurrent;
using System.Net;
using LiveStream.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;

namespace LiveStream.Infrastructure.Tests.Postgres;

/// <summary>
/// A real two-silo Orleans cluster plus an external client, all wired to the ADO.NET providers with invariant
/// "Npgsql" on a fresh database migrated from sql/. Shared by the tests of one class because starting silos is
/// the expensive part; each test works on its own grain keys.
/// </summary>
public sealed class OrleansClusterFixture : IAsyncLifetime
{
    public const string Invariant = "Npgsql";
    public const string StorageName = "postgres";
    public const string DeletingStorageName = "postgres-delete-on-clear";

    public TestDatabase Database { get; private set; } = null!;

    public string ClusterId { get; } = $"ls-test-{Guid.NewGuid():N}";

    public string ServiceId { get; } = "livestream-provider-tests";

    public SiloEndpoints SiloA { get; } = SiloEndpoints.Allocate("silo-a");

    public SiloEndpoints SiloB { get; } = SiloEndpoints.Allocate("silo-b");

    public IHost SiloAHost { get; private set; } = null!;

    public IHost SiloBHost { get; private set; } = null!;

    public IHost ClientHost { get; private set; } = null!;

    public IClusterClient Client => ClientHost.Services.GetRequiredService<IClusterClient>();

    /// <summary>Warnings and errors logged by any silo or the client, for failure messages.</summary>
    public CapturedLog Log { get; } = new();

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();

        // The first silo creates the cluster's version row; the second joins through the membership table.
        SiloAHost = await StartSiloAsync(SiloA);
        SiloBHost = await StartSiloAsync(SiloB);
        ClientHost = await StartClientAsync();
    }

    public async Task DisposeAsync()
    {
        await StopAsync(ClientHost);
        // Stopping in parallel halves the wait; each silo tells the cluster it leaves before it goes.
        await Task.WhenAll(StopAsync(SiloBHost), StopAsync(SiloAHost));
        if (Database is not null)
        {
            await Database.DisposeAsync();
        }

        // Providers report failed statements as errors (and Orleans retries), so a test can pass while a statement
        // of ours is broken; this makes the class fail instead. Checked last to include the silos' shutdown writes.
        var errors = Log.Entries.Where(e => e.StartsWith("Error", StringComparison.Ordinal) || e.StartsWith("Critical", StringComparison.Ordinal)).ToList();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException($"The cluster logged {errors.Count} error(s):{Environment.NewLine}{string.Join(Environment.NewLine, errors)}");
        }
    }

    /// <summary>Starts one more silo of this cluster; the caller stops it.</summary>
    public async Task<IHost> StartSiloAsync(SiloEndpoints endpoints)
    {
        var connectionString = Database.ConnectionString;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        ConfigureLogging(builder.Logging);
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = ClusterId;
                options.ServiceId = ServiceId;
            });
            silo.Configure<SiloOptions>(options => options.SiloName = endpoints.Name);
            silo.ConfigureEndpoints(IPAddress.Loopback, endpoints.SiloPort, endpoints.GatewayPort);
            silo.UseAdoNetClustering(options =>
            {
                options.Invariant = Invariant;
                options.ConnectionString = connectionString;
            });
            silo.AddAdoNetGrainStorage(StorageName, options =>
            {
                options.Invariant = Invariant;
                options.ConnectionString = connectionString;
            });
            silo.AddAdoNetGrainStorage(DeletingStorageName, options =>
            {
                options.Invariant = Invariant;
                options.ConnectionString = connectionString;
                options.DeleteStateOnClear = true;
            });
            silo.UseAdoNetReminderService(options =>
            {
                options.Invariant = Invariant;
                options.ConnectionString = connectionString;
            });
        });

        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private async Task<IHost> StartClientAsync()
    {
        var connectionString = Database.ConnectionString;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        ConfigureLogging(builder.Logging);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = ClusterId;
                options.ServiceId = ServiceId;
            });
            // No static gateway list: the client must discover both gateways through GatewaysQueryKey.
            client.UseAdoNetClustering(options =>
            {
                options.Invariant = Invariant;
                options.ConnectionString = connectionString;
            });
        });

        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private void ConfigureLogging(ILoggingBuilder logging)
    {
        logging.SetMinimumLevel(LogLevel.Warning);
        logging.AddProvider(Log);
    }

    public static async Task StopAsync(IHost? host)
    {
        if (host is null)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await host.StopAsync(timeout.Token);
        host.Dispose();
    }
}

/// <summary>A silo's name and the two loopback ports it listens on, picked free at fixture creation.</summary>
public sealed record SiloEndpoints(string Name, int SiloPort, int GatewayPort)
{
    public static SiloEndpoints Allocate(string name) => new(name, FreePorts.Next(), FreePorts.Next());
}

/// <summary>Keeps warnings and errors from every host of the fixture.</summary>
public sealed class CapturedLog : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyCollection<string> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    public override string ToString() => string.Join(Environment.NewLine, _entries);

    private sealed class Logger(string category, ConcurrentQueue<string> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                entries.Enqueue($"{logLevel} {category}: {formatter(state, exception)}{(exception is null ? string.Empty : " | " + exception.GetType().Name + ": " + exception.Message)}");
            }
        }
    }
}
