using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace LiveStream.Host.Tests.Observability;

/// <summary>One sample line of the Prometheus text format: name, labels, value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public bool Has(params (string Label, string Value)[] labels) =>
        labels.All(label => Labels.TryGetValue(label.Label, out var value) && value == label.Value);
}

/// <summary>A scrape of a <c>/metrics</c> endpoint, parsed as Prometheus would read it.</summary>
public sealed partial class PrometheusScrape(IReadOnlyList<PrometheusSample> samples, string text)
{
    public IReadOnlyList<PrometheusSample> Samples => samples;

    public string Text => text;

    public static async Task<PrometheusScrape> ReadAsync(HttpClient http, Uri url)
    {
        using var response = await http.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url}: {(int)response.StatusCode} {body}");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return Parse(body);
    }

    public static PrometheusScrape Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"Not a Prometheus sample line: {line}");
            var labels = LabelPair().Matches(match.Groups["labels"].Value)
                .ToDictionary(pair => pair.Groups["name"].Value, pair => Regex.Unescape(pair.Groups["value"].Value), StringComparer.Ordinal);
            var value = double.TryParse(match.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : double.NaN;
            samples.Add(new PrometheusSample(match.Groups["name"].Value, labels, value));
        }

        return new PrometheusScrape(samples, text);
    }

    public IEnumerable<PrometheusSample> Named(string name) => samples.Where(sample => sample.Name == name);

    /// <summary>The one sample of <paramref name="name"/> with these labels, or null.</summary>
    public double? Value(string name, params (string Label, string Value)[] labels)
    {
        var matching = Named(name).Where(sample => sample.Has(labels)).ToList();
        Assert.True(matching.Count <= 1, $"{matching.Count} samples of {name} match; expected one.\n{text}");
        return matching.Count == 0 ? null : matching[0].Value;
    }

    /// <summary>Scrapes until <paramref name="condition"/> holds: observable instruments are read at scrape time and scrapes are cached briefly.</summary>
    public static async Task<PrometheusScrape> UntilAsync(HttpClient http, Uri url, Func<PrometheusScrape, bool> condition, string what, TimeSpan? timeout = null)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var scrape = await ReadAsync(http, url);
            if (condition(scrape))
            {
                return scrape;
            }

            if (watch.Elapsed > (timeout ?? TimeSpan.FromSeconds(20)))
            {
                Assert.Fail($"{url} never showed {what}. Last scrape:\n{string.Join('\n', scrape.Text.Split('\n').Where(line => line.StartsWith("livestream_", StringComparison.Ordinal) || line.StartsWith("target_info", StringComparison.Ordinal)))}");
            }

            await Task.Delay(300);
        }
    }

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""(?<name>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(?:[^"\\]|\\.)*)",?""")]
    private static partial Regex LabelPair();
}
