using LiveStream.Host.Api;
using LiveStream.Host.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddLiveStreamConfiguration(args);
if (builder.IsMigrateCommand(args))
{
    return await builder.RunMigrateCommandAsync();
}

builder.AddLiveStreamObservability();
builder.AddLiveStreamPostgres();
builder.AddLiveStreamOrleans();
builder.AddLiveStreamApi();

var app = builder.Build();
app.MapLiveStreamApi();
await app.RunAsync();
return 0;
