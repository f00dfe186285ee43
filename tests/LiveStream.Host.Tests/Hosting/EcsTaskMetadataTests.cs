using System.Net;
using System.Text;
using LiveStream.Host.Hosting;
using LiveStream.Testing;

namespace LiveStream.Host.Tests.Hosting;

/// <summary>On Fargate a silo advertises its task's private IP, read from the ECS container metadata endpoint.</summary>
public sealed class EcsTaskMetadataTests
{
    private const string ContainerDocument = """
        {"DockerId":"abc","Name":"silo","Networks":[{"NetworkMode":"awsvpc","IPv4Addresses":["127.0.0.2"],"PrivateDNSName":"ip-10-0-1-23"}]}
        """;

    [Fact]
    public async Task The_task_address_is_read_from_the_container_metadata()
    {
        await using var endpoint = await MetadataEndpoint.StartAsync(ContainerDocument);
        using var http = new HttpClient();

        var address = await EcsTaskMetadata.GetTaskAddressAsync(endpoint.Uri, http);

        Assert.Equal(IPAddress.Parse("127.0.0.2"), address);
    }

    [Fact]
    public async Task Outside_ecs_there_is_no_task_address()
    {
        using var http = new HttpClient();

        Assert.Null(await EcsTaskMetadata.GetTaskAddressAsync(null, http));
    }

    [Fact]
    public async Task A_silo_on_ecs_advertises_the_task_address_in_the_membership_table()
    {
        // Arrange: 127.0.0.2 is loopback too, so the silo stays reachable while advertising a distinct address.
        await using var endpoint = await MetadataEndpoint.StartAsync(ContainerDocument);
        await using var database = await TestDatabase.CreateAsync();
        var options = new HostProcessOptions(database.ConnectionString, HostProcess.NewSigningKey())
        {
            Role = "silo",
            Settings = new Dictionary<string, string>
            {
                ["Orleans:AdvertisedIPAddress"] = string.Empty,
                [EcsTaskMetadata.EndpointVariable] = endpoint.Uri,
            },
        };

        // Act
        await using var silo = await HostProcess.StartAsync(options);

        // Assert
        var advertised = await database.ScalarAsync<string>(
            "SELECT host(address) FROM orleans_membership WHERE deployment_id = @cluster AND status = 3", ("cluster", options.ClusterId));
        Assert.Equal("127.0.0.2", advertised);
    }

    /// <summary>A stand-in for the ECS agent's metadata endpoint on a free loopback port.</summary>
    private sealed class MetadataEndpoint : IAsyncDisposable
    {
        private readonly HttpListener _listener;
        private readonly Task _serving;

        private MetadataEndpoint(HttpListener listener, string uri, string document)
        {
            _listener = listener;
            Uri = uri;
            _serving = ServeAsync(document);
        }

        public string Uri { get; }

        public static Task<MetadataEndpoint> StartAsync(string document)
        {
            var port = FreePorts.Next();
            var uri = $"http://127.0.0.1:{port}/v4/container/";
            var listener = new HttpListener();
            listener.Prefixes.Add(uri);
            listener.Start();
            return Task.FromResult(new MetadataEndpoint(listener, uri.TrimEnd('/'), document));
        }

        private async Task ServeAsync(string document)
        {
            try
            {
                while (_listener.IsListening)
                {
                    var context = await _listener.GetContextAsync();
                    var body = Encoding.UTF8.GetBytes(document);
                    context.Response.ContentType = "application/json";
                    await context.Response.OutputStream.WriteAsync(body);
                    context.Response.Close();
                }
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            await _serving;
            _listener.Close();
        }
    }
}
