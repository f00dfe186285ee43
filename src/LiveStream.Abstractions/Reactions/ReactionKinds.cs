using System.Collections.Frozen;

namespace LiveStream.Abstractions.Reactions;

/// <summary>The fixed, documented set of reactions a viewer can send (DESIGN §3).</summary>
public static class ReactionKinds
{
    public const string Like = "like";
    public const string Clap = "clap";
    public const string Heart = "heart";
    public const string Laugh = "laugh";
    public const string Insightful = "insightful";
    public const string Question = "question";

    public static IReadOnlyList<string> All { get; } = [Like, Clap, Heart, Laugh, Insightful, Question];

    private static readonly FrozenSet<string> Known = All.ToFrozenSet(StringComparer.Ordinal);

    public static bool IsKnown(string? kind) => kind is not null && Known.Contains(kind);
}
