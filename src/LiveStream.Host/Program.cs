using LiveStream.Host.Api;
using LiveStream.Host.Hosting;
using LiveStream.Infrastructure.Media;

// appsettings*.json ship beside the binary, so the content root is there wherever the process is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddLiveStreamConfiguration(args);
if (await builder.TryRunCommandAsync(args) is { } exitCode)
{
    return exitCode;
}

builder.AddLiveStreamObservability();
builder.AddLiveStreamPostgres();
builder.AddLiveStreamOrleans();
builder.AddLiveStreamMediaServices();
builder.AddLiveStreamApi();

var app = builder.Build();
app.UseLiveStreamObservability();
app.MapLiveStreamApi();
await app.RunAsync();
return 0;
