using System.Collections.Immutable;

namespace LiveStream.Abstractions;

/// <summary>A page of a cursor-paged list; <see cref="Next"/> is null on the last page.</summary>
[GenerateSerializer, Immutable]
[Alias("livestream.page`1")]
public sealed record Page<T>(
    [property: Id(0)] ImmutableArray<T> Items,
    [property: Id(1)] string? Next);
