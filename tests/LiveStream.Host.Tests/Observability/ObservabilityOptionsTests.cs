using System.Net;
using LiveStream.Host.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace LiveStream.Host.Tests.Observability;

public sealed class ObservabilityOptionsTests
{
    [Fact]
    public void Metrics_and_dashboard_are_off_unless_configured()
    {
        var options = ObservabilityOptions.From(new ConfigurationBuilder().Build());

        Assert.False(options.Prometheus.Enabled);
        Assert.False(options.Dashboard.Enabled);
    }

    [Theory]
    [InlineData("Observability:Prometheus:Path", "metrics", "Observability:Prometheus:Path")]
    [InlineData("Observability:Prometheus:Path", "/metrics/", "Observability:Prometheus:Path")]
    [InlineData("Observability:Dashboard:Port", "70000", "Observability:Dashboard:Port")]
    [InlineData("Observability:Dashboard:Path", "/metrics", "must differ")]
    [InlineData("Observability:SessionSeriesLimit", "0", "Observability:SessionSeriesLimit")]
    public void A_bad_setting_stops_the_start_naming_the_key(string key, string value, string named)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Observability:Prometheus:Enabled"] = "true",
            ["Observability:Dashboard:Enabled"] = "true",
            [key] = value,
        }).Build();

        var error = Assert.Throws<OptionsValidationException>(() => ObservabilityOptions.From(configuration));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }
}

[Collection(ApiCollection.Name)]
public sealed class ObservabilityDefaultsTests(ApiFixture fixture)
{
    [Fact]
    public async Task A_process_without_observability_settings_serves_neither_metrics_nor_dashboard()
    {
        // Arrange: signed in, so only a missing route can answer 404.
        using var api = fixture.CreateClient();
        var token = await api.TokenAsync(Ids.New("mentee"), "mentee");

        // Act
        using var metrics = await api.SendAsync(HttpMethod.Get, "/metrics", token: token);
        using var dashboard = await api.SendAsync(HttpMethod.Get, "/dashboard/", token: token);

        // Assert
        Assert.Equal(HttpStatusCode.NotFound, metrics.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, dashboard.StatusCode);
    }
}
