using System.ComponentModel.DataAnnotations;
using LiveStream.Host.Hosting;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace LiveStream.Host.Tests.Hosting;

/// <summary>What every connection the service opens is told: fail fast on a dead database, keep hot statements prepared.</summary>
public sealed class ServiceConnectionStringTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(setting => new KeyValuePair<string, string?>(setting.Key, setting.Value))
                .Append(new("ConnectionStrings:Postgres", "Host=db.internal;Username=app;Password=secret;Database=livestream")))
            .Build();

    [Fact]
    public void Service_connections_fail_fast_and_keep_their_hot_statements_prepared_by_default()
    {
        // Act
        var storage = new NpgsqlConnectionStringBuilder(Configuration().GetServiceConnectionString(forGrainStorage: true));
        var service = new NpgsqlConnectionStringBuilder(Configuration().GetServiceConnectionString());

        // Assert
        Assert.Equal((2, 1, -1), (storage.Timeout, storage.CommandTimeout, storage.CancellationTimeout));
        Assert.Equal(2, service.CommandTimeout);
        Assert.All([storage, service], builder => Assert.Equal((32, 2), (builder.MaxAutoPrepare, builder.AutoPrepareMinUsages)));
        Assert.Equal("secret", service.Password);
    }

    [Fact]
    public void Prepared_statements_can_be_turned_off_for_a_pooler_that_cannot_keep_them()
    {
        // Act
        var service = new NpgsqlConnectionStringBuilder(Configuration(("Database:MaxAutoPrepare", "0")).GetServiceConnectionString());

        // Assert
        Assert.Equal(0, service.MaxAutoPrepare);
    }

    [Fact]
    public void An_out_of_range_setting_is_refused_naming_it()
    {
        // Act
        var refused = Assert.Throws<ValidationException>(() => Configuration(("Database:MaxAutoPrepare", "5000")).GetServiceConnectionString());

        // Assert
        Assert.Contains(nameof(DatabaseOptions.MaxAutoPrepare), refused.Message, StringComparison.Ordinal);
    }
}
