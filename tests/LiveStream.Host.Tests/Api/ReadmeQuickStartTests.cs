using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using LiveStream.Testing;

namespace LiveStream.Host.Tests.Api;

/// <summary>
/// Issue 12 acceptance 5: the first thing a newcomer types is README.md's quick start, so it is read from the README
/// itself and run (bash, curl, jq, the date the shell computes) against a real host; it cannot rot unnoticed.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed partial class ReadmeQuickStartTests(ApiFixture fixture)
{
    private const string Marker = "A first session against the running service:";

    [Fact]
    public async Task The_readme_first_session_commands_succeed_against_a_running_host()
    {
        // Arrange: the README's block, pointed at the test host, with a fresh mentor id so reruns start clean.
        var readme = await File.ReadAllTextAsync(Path.Combine(NginxRtmp.RepositoryRoot, "README.md"));
        var block = QuickStart(readme);
        var mentorId = Ids.New("ada");
        var script = AdaId().Replace(block.Replace("localhost:8080", $"127.0.0.1:{fixture.Host.HttpPort}", StringComparison.Ordinal), mentorId);
        Assert.Contains(mentorId, script, StringComparison.Ordinal);

        // Act: every curl fails on an HTTP error; the first failing command is named.
        var (exitCode, output) = await RunBashAsync(
            "set -euo pipefail\n"
            + "curl() { command curl --fail-with-body --show-error \"$@\"; }\n"
            + "trap 'echo \"README command failed: $BASH_COMMAND\" >&2' ERR\n"
            + script
            + "\n[ -n \"$TOKEN\" ] && [ \"$TOKEN\" != null ] || { echo 'README produced no token' >&2; exit 1; }\n");

        // Assert: each command succeeded, and the session it scheduled is there, scheduled for tomorrow.
        Assert.True(exitCode == 0, $"README quick start failed ({exitCode}):\n{output}");
        using var client = fixture.CreateClient();
        var token = await client.TokenAsync(mentorId, "mentor");
        using var sessions = await client.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live", token: token);
        Assert.Equal(HttpStatusCode.OK, sessions.StatusCode);
        var session = Assert.Single((await ApiClient.JsonAsync(sessions)).GetProperty("items").EnumerateArray());
        Assert.Equal("Bernoulli numbers", session.GetProperty("title").GetString());
        var scheduledStart = session.GetProperty("scheduledStart").GetDateTimeOffset();
        Assert.Equal(TimeSpan.FromHours(18), scheduledStart.UtcDateTime.TimeOfDay);
        Assert.InRange(scheduledStart, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(2));
    }

    /// <summary>The first <c>```bash</c> block after the marker line.</summary>
    private static string QuickStart(string readme)
    {
        var at = readme.IndexOf(Marker, StringComparison.Ordinal);
        Assert.True(at >= 0, $"README.md no longer has the line '{Marker}' this test reads the quick start after.");
        var match = BashBlock().Match(readme, at);
        Assert.True(match.Success, "No ```bash block follows the quick-start marker in README.md.");
        return match.Groups["body"].Value;
    }

    private static async Task<(int ExitCode, string Output)> RunBashAsync(string script)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start bash.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(script);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, $"{await output}\n{await errors}\nscript:\n{script}");
    }

    [GeneratedRegex(@"```bash\n(?<body>.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex BashBlock();

    /// <summary>The README's mentor id where it appears as an id (JSON value or path segment), not "Ada Lovelace".</summary>
    [GeneratedRegex(@"(?<=[""/])ada(?=[""/ ])")]
    private static partial Regex AdaId();
}
