using LiveStream.Host.Api;
using LiveStream.Host.Hosting;
using LiveStream.Infrastructure.Media;
using Microsoft.Extensions.Options;

// appsettings*.json ship beside the binary, so the content root is there wherever the process is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddLiveStreamConfiguration(args);
if (await builder.TryRunCommandAsync(args) is { } exitCode)
{
    return exitCode;
}

try
{
    builder.AddLiveStreamObservability();
    builder.AddLiveStreamPostgres();
    builder.AddLiveStreamOrleans();
    builder.AddLiveStreamMediaServices();
    builder.AddLiveStreamApi();
    if (ListenerCheck.FindTakenListener(builder) is { } taken)
    {
        await Console.Error.WriteLineAsync(taken);
        return 3;
    }

    var app = builder.Build();
    app.UseLiveStreamObservability();
    app.MapLiveStreamApi();
    app.ExportRouteTableWhenAsked();
    await app.RunAsync();
    return 0;
}
catch (Exception exception) when (ListenerCheck.IsPortTaken(exception))
{
    // The check above found every port free, but another process bound one before this one did.
    await Console.Error.WriteLineAsync(ListenerCheck.PortTakenWhileStarting(exception));
    return 3;
}
catch (Exception exception) when (exception is OptionsValidationException
    || exception is AggregateException { InnerExceptions: var inner } && inner.All(error => error is OptionsValidationException))
{
    // A refused setting (unsafe or inconsistent) stops the start with one readable line per problem, before serving.
    var failures = (exception is AggregateException aggregate ? [.. aggregate.InnerExceptions] : new[] { exception })
        .Cast<OptionsValidationException>().SelectMany(invalid => invalid.Failures);
    await Console.Error.WriteLineAsync("LiveStream cannot start, configuration refused:\n  " + string.Join("\n  ", failures));
    return 2;
}
