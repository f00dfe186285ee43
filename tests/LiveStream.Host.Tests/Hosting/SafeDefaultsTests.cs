using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using LiveStream.Host.Api;
using LiveStream.Testing;
using Microsoft.AspNetCore.Http;

namespace LiveStream.Host.Tests.Hosting;

/// <summary>Unsafe settings refuse the start; the media callback and operator endpoints stay off the public surface.</summary>
public sealed class SafeDefaultsTests
{
    /// <summary>Hosts that must come up: generous, the shared box can take a minute to start a silo.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    /// <summary>A database address nothing listens on: the refusals below happen before any connection.</summary>
    private const string UnreachableDatabase = "Host=127.0.0.1;Port=1;Username=postgres;Database=none;Timeout=2";

    [Theory]
    [InlineData("Production", "")]
    [InlineData("Development", "https://issuer.example")]
    public async Task Dev_tokens_outside_development_or_next_to_an_authority_refuse_the_start(string environment, string authority)
    {
        // Arrange
        var options = new HostProcessOptions(UnreachableDatabase, HostProcess.NewSigningKey())
        {
            Environment = environment,
            Settings = new Dictionary<string, string> { ["Auth:DevTokens:Enabled"] = "true", ["Auth:Authority"] = authority },
        };

        // Act
        var (exitCode, output) = await HostProcess.RunUntilExitAsync(options);

        // Assert
        Assert.Equal(2, exitCode);
        Assert.Contains("Auth:DevTokens:Enabled is refused outside the Development environment and together with Auth:Authority", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_without_their_own_port_refuse_the_start_in_production()
    {
        // Arrange
        var options = ProductionOptions(UnreachableDatabase, new Dictionary<string, string> { ["Observability:Prometheus:Enabled"] = "true" });

        // Act
        var (exitCode, output) = await HostProcess.RunUntilExitAsync(options);

        // Assert
        Assert.Equal(2, exitCode);
        Assert.Contains("Observability:Prometheus:Port is required outside Development", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Operator_endpoints_answer_only_on_their_own_port_in_production_and_the_dashboard_hides_trace_and_grain_state()
    {
        // Arrange
        await using var database = await TestDatabase.CreateAsync();
        var metricsPort = FreePorts.Next();
        var dashboardPort = FreePorts.Next();
        await using var host = await HostProcess.StartAsync(ProductionOptions(database.ConnectionString, new Dictionary<string, string>
        {
            ["Observability:Prometheus:Enabled"] = "true",
            ["Observability:Prometheus:Port"] = metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Observability:Dashboard:Enabled"] = "true",
            ["Observability:Dashboard:Port"] = dashboardPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }) with { ReadyTimeout = StartTimeout });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        // Act
        var metricsOnMain = await StatusAsync(http, $"{host.BaseAddress}metrics");
        var dashboardOnMain = await StatusAsync(http, $"{host.BaseAddress}dashboard/version");
        var metrics = await StatusAsync(http, $"http://127.0.0.1:{metricsPort}/metrics");
        var dashboard = await StatusAsync(http, $"http://127.0.0.1:{dashboardPort}/dashboard/version");
        var trace = await StatusAsync(http, $"http://127.0.0.1:{dashboardPort}/dashboard/Trace");
        var grainState = await StatusAsync(http, $"http://127.0.0.1:{dashboardPort}/dashboard/GrainState?grainId=x&grainType=y");

        // Assert
        // Not served on the main port: an anonymous caller meets the sign-in wall (401) or no route (404), never the data.
        Assert.Contains(metricsOnMain, new[] { HttpStatusCode.NotFound, HttpStatusCode.Unauthorized });
        Assert.Contains(dashboardOnMain, new[] { HttpStatusCode.NotFound, HttpStatusCode.Unauthorized });
        Assert.Equal(HttpStatusCode.OK, metrics);
        Assert.Equal(HttpStatusCode.OK, dashboard);
        Assert.Equal(HttpStatusCode.NotFound, trace);
        Assert.Equal(HttpStatusCode.NotFound, grainState);
    }

    [Fact]
    public async Task Media_callback_answers_only_from_loopback_and_its_secret_stays_out_of_the_logs()
    {
        // Arrange: the API also listens on this machine's network address, as it would behind a load balancer.
        await using var database = await TestDatabase.CreateAsync();
        var lanAddress = NetworkAddress();
        var httpPort = FreePorts.Next();
        var lanPort = FreePorts.Next();
        var secret = Guid.NewGuid().ToString("N");
        await using var host = await HostProcess.StartAsync(new HostProcessOptions(database.ConnectionString, HostProcess.NewSigningKey())
        {
            HttpPort = httpPort,
            ReadyTimeout = StartTimeout,
            Settings = new Dictionary<string, string>
            {
                ["Kestrel:Endpoints:Loopback:Url"] = $"http://127.0.0.1:{httpPort}",
                ["Kestrel:Endpoints:Network:Url"] = $"http://{lanAddress}:{lanPort}",
                ["Media:Local:CallbackSecret"] = secret,
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Information",
            },
        });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        // Act
        var fromNetwork = await PublishCallbackAsync(http, $"http://{lanAddress}:{lanPort}", secret);
        var fromLoopback = await PublishCallbackAsync(http, $"http://127.0.0.1:{httpPort}", secret);
        var wrongSecret = await PublishCallbackAsync(http, $"http://127.0.0.1:{httpPort}", Guid.NewGuid().ToString("N"));
        var health = await StatusAsync(http, $"http://{lanAddress}:{lanPort}/health/live");

        // Assert: the network listener works, refuses the callback as if it did not exist; loopback reaches the grain check.
        Assert.Equal(HttpStatusCode.OK, health);
        Assert.Equal(HttpStatusCode.NotFound, fromNetwork);
        Assert.Equal(HttpStatusCode.Forbidden, fromLoopback);
        Assert.Equal(HttpStatusCode.NotFound, wrongSecret);
        Assert.DoesNotContain(secret, host.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/internal/media/s3cr3t-value/publish", "/internal/media/[redacted]/publish")]
    [InlineData("/internal/media/s3cr3t-value", "/internal/media/[redacted]")]
    [InlineData("/livestream/abc/start", null)]
    public void Traces_record_the_callback_path_without_its_secret(string path, string? recorded)
    {
        // Act
        var redacted = LiveMediaApi.RedactCallbackPath(new PathString(path));

        // Assert
        Assert.Equal(recorded, redacted);
    }

    private static HostProcessOptions ProductionOptions(string connectionString, Dictionary<string, string> settings) =>
        new(connectionString, HostProcess.NewSigningKey())
        {
            Environment = "Production",
            Settings = new Dictionary<string, string>(settings) { ["Auth:DevTokens:Enabled"] = "false", ["Auth:Authority"] = "https://issuer.example" },
        };

    private static async Task<HttpStatusCode> PublishCallbackAsync(HttpClient http, string baseUrl, string secret)
    {
        using var response = await http.PostAsync(
            new Uri($"{baseUrl}/internal/media/{secret}/publish"),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["call"] = "publish", ["name"] = $"{Ids.New("live")}.key", ["clientid"] = "1" }));
        return response.StatusCode;
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient http, string url)
    {
        using var response = await http.GetAsync(new Uri(url));
        return response.StatusCode;
    }

    /// <summary>This machine's first non-loopback IPv4 address; the test needs one to show the callback refuses it.</summary>
    private static IPAddress NetworkAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(network => network.OperationalStatus == OperationalStatus.Up && network.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(network => network.GetIPProperties().UnicastAddresses)
            .Select(unicast => unicast.Address)
            .FirstOrDefault(address => address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(address))
        ?? throw new InvalidOperationException("This machine has no non-loopback IPv4 address to test the callback's loopback check with.");
}
