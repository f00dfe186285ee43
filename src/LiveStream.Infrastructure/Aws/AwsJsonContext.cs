using System.Text.Json.Serialization;

namespace LiveStream.Infrastructure.Aws;

/// <summary>
/// Source-generated JSON for the rest-json services. MediaLive and MediaPackage name their members in lowerCamel,
/// and an omitted member means "use the service default", so nulls are never written.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = false)]
[JsonSerializable(typeof(MediaLiveCreateInputSecurityGroupBody))]
[JsonSerializable(typeof(MediaLiveCreateInputSecurityGroupAnswer))]
[JsonSerializable(typeof(MediaLiveCreateInputBody))]
[JsonSerializable(typeof(MediaLiveCreateInputAnswer))]
[JsonSerializable(typeof(MediaLiveInput))]
[JsonSerializable(typeof(MediaLiveCreateChannelBody))]
[JsonSerializable(typeof(MediaLiveCreateChannelAnswer))]
[JsonSerializable(typeof(MediaLiveChannel))]
[JsonSerializable(typeof(MediaLiveListInputsAnswer))]
[JsonSerializable(typeof(MediaLiveListChannelsAnswer))]
[JsonSerializable(typeof(MediaLiveListInputSecurityGroupsAnswer))]
[JsonSerializable(typeof(MediaPackageListOriginEndpointsAnswer))]
[JsonSerializable(typeof(MediaPackageListChannelsAnswer))]
[JsonSerializable(typeof(MediaPackageCreateChannelBody))]
[JsonSerializable(typeof(MediaPackageChannel))]
[JsonSerializable(typeof(MediaPackageCreateOriginEndpointBody))]
[JsonSerializable(typeof(MediaPackageOriginEndpoint))]
[JsonSerializable(typeof(MediaPackageCreateHarvestJobBody))]
[JsonSerializable(typeof(MediaPackageHarvestJob))]
internal sealed partial class AwsJsonContext : JsonSerializerContext;
