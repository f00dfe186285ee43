using LiveStream.Bench;

// LiveStream.Bench: one run measures the bare Kestrel baseline and the real host in each topology with wrk,
// then writes docs/benchmarks.md. `baseline` is the internal subcommand the tool starts itself with.
if (args.Length > 0 && args[0] == BaselineServer.Command)
{
    return await BaselineServer.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "driver-check")
{
    return await BenchRun.DriverCheckAsync(args[1..]);
}

if (args.Length > 0 && args[0] == CapacityModel.Command)
{
    return await CapacityModel.RunAsync(args[1..]);
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException exception)
{
    await Console.Error.WriteLineAsync(exception.Message);
    return 2;
}

try
{
    await BenchRun.RunAsync(options);
    return 0;
}
catch (Exception exception) when (exception is InvalidOperationException or TimeoutException or FormatException or Npgsql.NpgsqlException)
{
    await Console.Error.WriteLineAsync($"bench: {exception.Message}");
    return 1;
}
