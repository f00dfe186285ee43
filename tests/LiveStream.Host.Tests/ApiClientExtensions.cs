using System.Net;

namespace LiveStream.Host.Tests;

/// <summary>Helpers for the "nothing changed" half of the negative tests.</summary>
public static class ApiClientExtensions
{
    /// <summary>GETs a resource that must exist and returns its JSON text, to compare before and after a refused request.</summary>
    public static async Task<string> ReadAsync(this ApiClient api, string path, string token)
    {
        using var response = await api.SendAsync(HttpMethod.Get, path, token: token);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: expected 200, got {(int)response.StatusCode}: {body}");
        return body;
    }

    /// <summary>Asserts that <paramref name="path"/> does not exist (404), e.g. that a refused create wrote nothing.</summary>
    public static async Task AssertMissingAsync(this ApiClient api, string path, string token)
    {
        using var response = await api.SendAsync(HttpMethod.Get, path, token: token);
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound);
    }
}
