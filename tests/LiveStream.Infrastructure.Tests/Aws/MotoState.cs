using System.Text.Json;
using LiveStream.Testing;

namespace LiveStream.Infrastructure.Tests.Aws;

/// <summary>Reads one recorded resource out of the emulator's data.json.</summary>
internal static class MotoState
{
    /// <summary>
    /// The emulator instance of <paramref name="model"/> whose <paramref name="keyProperty"/> equals <paramref name="key"/>.
    /// Cloned, so it outlives the parsed document.
    /// </summary>
    public static async Task<JsonElement> FindAsync(MotoServer server, string service, string model, string keyProperty, string key)
    {
        using var state = await server.GetStateAsync();
        var instances = state.RootElement.GetProperty(service).GetProperty(model).EnumerateArray();
        var found = instances.Where(i => i.TryGetProperty(keyProperty, out var value) && value.GetString() == key).ToList();
        Assert.True(found.Count == 1, $"expected one {service} {model} with {keyProperty}={key} in the emulator, found {found.Count}");
        return found[0].Clone();
    }
}
