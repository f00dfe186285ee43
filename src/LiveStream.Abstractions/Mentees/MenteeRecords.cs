using System.Collections.Immutable;

namespace LiveStream.Abstractions.Mentees;

[GenerateSerializer]
[Alias("livestream.push-platform")]
public enum PushPlatform
{
    Apns = 0,
    Fcm = 1,
}

[GenerateSerializer, Immutable]
[Alias("livestream.device")]
public sealed record Device(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] PushPlatform Platform,
    [property: Id(2)] string Token,
    [property: Id(3)] DateTimeOffset RegisteredAt);

[GenerateSerializer, Immutable]
[Alias("livestream.mentee-profile")]
public sealed record MenteeProfile(
    [property: Id(0)] string MenteeId,
    [property: Id(1)] string DisplayName,
    [property: Id(2)] DateTimeOffset UpdatedAt);

[GenerateSerializer, Immutable]
[Alias("livestream.mentee-view")]
public sealed record MenteeView(
    [property: Id(0)] MenteeProfile Profile,
    [property: Id(1)] ImmutableArray<string> Following,
    [property: Id(2)] ImmutableArray<Device> Devices);
