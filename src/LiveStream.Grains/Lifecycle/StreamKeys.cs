using System.Security.Cryptography;
using System.Text;

namespace LiveStream.Grains.Lifecycle;

/// <summary>A session's secret stream key: "&lt;liveId&gt;.&lt;secret&gt;".</summary>
internal static class StreamKeys
{
    /// <summary>The ingest callback finds the grain from the key's prefix; only the secret part must be guessed.</summary>
    public static string New(string liveId) =>
        $"{liveId}.{Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_')}";

    /// <summary>Constant time, so a publisher cannot learn the key a character at a time.</summary>
    public static bool Match(string expected, string actual) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(actual));
}
