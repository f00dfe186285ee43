using System.Collections.Frozen;

namespace LiveStream.Abstractions.Sessions;

/// <summary>The lifecycle of a live session (DESIGN §3).</summary>
[GenerateSerializer]
[Alias("livestream.session-state")]
public enum SessionState
{
    Scheduled = 0,
    Starting = 1,
    Live = 2,
    Ending = 3,
    Ended = 4,
    Recorded = 5,
    Cancelled = 6,
    Failed = 7,
}

/// <summary>Who may watch a session's live stream and recording (the mentor always may).</summary>
[GenerateSerializer]
[Alias("livestream.session-visibility")]
public enum SessionVisibility
{
    /// <summary>Any signed-in user.</summary>
    Public = 0,

    /// <summary>Only mentees who follow the mentor.</summary>
    Followers = 1,
}

/// <summary>The legal transitions of <see cref="SessionState"/>; the session grain enforces them.</summary>
public static class SessionLifecycle
{
    private static readonly FrozenDictionary<SessionState, FrozenSet<SessionState>> Next =
        new Dictionary<SessionState, FrozenSet<SessionState>>
        {
            [SessionState.Scheduled] = Set(SessionState.Starting, SessionState.Cancelled),
            [SessionState.Starting] = Set(SessionState.Live, SessionState.Ending, SessionState.Cancelled, SessionState.Failed),
            [SessionState.Live] = Set(SessionState.Ending, SessionState.Failed),
            [SessionState.Ending] = Set(SessionState.Ended, SessionState.Failed),
            [SessionState.Ended] = Set(SessionState.Recorded),
            [SessionState.Recorded] = Set(),
            [SessionState.Cancelled] = Set(),
            [SessionState.Failed] = Set(),
        }.ToFrozenDictionary();

    public static bool CanTransition(SessionState from, SessionState to) => Next[from].Contains(to);

    public static bool IsTerminal(SessionState state) => Next[state].Count == 0;

    private static FrozenSet<SessionState> Set(params SessionState[] states) => states.ToFrozenSet();
}
