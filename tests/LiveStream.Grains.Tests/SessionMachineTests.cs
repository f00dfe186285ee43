using LiveStream.Abstractions.Notifications;
using LiveStream.Abstractions.Sessions;
using LiveStream.Grains.Lifecycle;
using LiveStream.Infrastructure.Media;
using static LiveStream.Grains.Lifecycle.LifecycleEvent;

namespace LiveStream.Grains.Tests;

/// <summary>
/// The lifecycle's transitions without a cluster: every representative state x every event (the table below), then
/// the deadlines and the orders of events that matter, one scenario each.
/// </summary>
public sealed class SessionMachineTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Start = T0.AddHours(3);

    private static readonly LifecycleOptions Options = new(
        PrewarmLead: TimeSpan.FromMinutes(10), ReportsPublisher: true, NoInputTimeout: TimeSpan.FromMinutes(10),
        ReconnectGrace: TimeSpan.FromMinutes(1), MaxDuration: TimeSpan.FromHours(4), NoShowTimeout: TimeSpan.FromMinutes(30),
        RecordingTimeout: TimeSpan.FromMinutes(30), RetryDelay: TimeSpan.FromSeconds(30));

    private static readonly SessionDefinition Definition = new("live-1", "mentor-1", "course", "Intro", Start);
    private static readonly MediaChannel Channel = new("test", "live-1", "https://cdn.test/live-1/index.m3u8", new Dictionary<string, string> { ["id"] = "1" });

    /// <summary>The events of the table, in column order.</summary>
    private static readonly (string Name, LifecycleEvent Event)[] Events =
    [
        ("schedule", new Schedule(Definition)),
        ("schedule-other", new Schedule(Definition with { Title = "Other" })),
        ("start", new LifecycleEvent.Start()),
        ("stop", new Stop()),
        ("cancel", new Cancel()),
        ("arrived-1", new PublisherArrived("c1")),
        ("arrived-2", new PublisherArrived("c2")),
        ("left-1", new PublisherLeft("c1")),
        ("input-clear", new InputSignal(new MediaInputSignal("rtmp#0", InputLost: false, T0))),
        ("input-lost", new InputSignal(new MediaInputSignal("rtmp#0", InputLost: true, T0))),
        ("recording", new RecordingReady("https://rec.test/live-1.m3u8")),
        ("progress", new ChannelProgress(Channel)),
        ("ready", new ChannelReady(Channel)),
        ("playable", new PlaybackReady()),
        ("stopped-url", new ChannelStopped(new MediaRecordingRequest("https://rec.test/live-1.mp4", Pending: false))),
        ("stopped-pending", new ChannelStopped(new MediaRecordingRequest(null, Pending: true))),
        ("deleted", new ChannelDeleted()),
        ("indexed", new Indexed()),
        ("failed", new EffectFailed(LifecycleEffect.PrepareChannel, "boom")),
        ("tick", new Tick()),
    ];

    // Rows: representative states; columns: Events. "." leaves the state as it is, "R" is refused (409), a name is
    // the state moved to. The tick is a day after the last event, so every deadline of the state is due.
    private const string Table = """
                      schedule schedule-other start    stop     cancel    arrived-1 arrived-2 left-1 input-clear input-lost recording progress ready playable stopped-url stopped-pending deleted indexed failed tick
        scheduled     .        R              starting R        cancelled .         .         .      .           .          .         .        .     .        .           .               .       .       .      .
        prewarmed     .        R              starting R        cancelled .         .         .      .           .          .         .        .     .        .           .               .       .       .      .
        starting      .        R              .        ending   cancelled .         .         .      .           .          .         .        .     .        .           .               .       .       .      failed
        publishing    .        R              .        ending   cancelled .         .         .      .           .          .         .        .     live     .           .               .       .       .      failed
        live          .        R              .        ending   R         .         .         .      .           .          .         .        .     .        .           .               .       .       .      ending
        ending        .        R              R        .        R         .         .         .      .           .          .         .        .     .        recorded    ended           .       .       .      .
        ended         .        R              R        .        R         .         .         .      .           .          recorded  .        .     .        .           .               .       .       .      .
        recorded      .        R              R        .        R         .         .         .      .           .          .         .        .     .        .           .               .       .       .      .
        cancelled     .        R              R        R        .         .         .         .      .           .          .         .        .     .        .           .               .       .       .      .
        failed        .        R              R        R        R         .         .         .      .           .          .         .        .     .        .           .               .       .       .      .
        """;

    public static TheoryData<string, string, string> Pairs()
    {
        var lines = Table.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var columns = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var data = new TheoryData<string, string, string>();
        foreach (var row in lines.Skip(1).Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
        {
            for (var column = 0; column < columns.Length; column++)
            {
                data.Add(row[0], columns[column], row[column + 1]);
            }
        }

        return data;
    }

    [Fact]
    public void The_table_covers_every_state_and_every_event()
    {
        var rows = Pairs().Select(pair => (string)pair[0]).Distinct().ToList();
        var columns = Pairs().Select(pair => (string)pair[1]).Distinct().ToList();

        Assert.Equal(Enum.GetValues<SessionState>().Select(Name).Order(), States.Values.Select(s => Name(s.State!.Value)).Distinct().Order());
        Assert.Equal(States.Keys.Order(), rows.Order());
        Assert.Equal(Events.Select(e => e.Name), columns);
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Each_state_and_event_leads_where_the_table_says_and_a_duplicate_changes_nothing_more(string state, string @event, string expected)
    {
        // Arrange
        var before = States[state];
        var happened = Events.Single(e => e.Name == @event).Event;
        var at = happened is Tick ? T0.AddDays(1) : T0.AddHours(5);

        // Act
        var first = SessionMachine.Apply(before, happened, at, Options);
        var second = SessionMachine.Apply(first.State, happened, at, Options);

        // Assert: where the table says; only along the documented lifecycle (ending -> ended -> recorded in one event).
        var outcome = first.Refusal is not null ? "R" : first.State.State == before.State ? "." : Name(first.State.State!.Value);
        Assert.Equal(expected, outcome);
        Assert.True(first.State.State == before.State || Reachable(before.State!.Value, first.State.State!.Value));
        if (first.Refusal is not null)
        {
            Assert.Same(before, first.State);
        }

        // Assert: delivered twice, an event notifies nobody twice and moves nothing further (a tick may reach the next deadline).
        Assert.Empty(second.Notices);
        if (happened is not Tick)
        {
            Assert.Equal(first.State.State, second.State.State);
            Assert.Equal(first.State.Outbox, second.State.Outbox);
            Assert.Equal(first.State.Deadlines, second.State.Deadlines);
        }
    }

    [Fact]
    public void A_session_turns_live_only_once_its_playback_answers_with_a_segment_and_notifies_once()
    {
        // Arrange
        var publishing = States["publishing"];

        // Act
        var stillStarting = SessionMachine.Apply(publishing, new PublisherArrived("c1"), T0, Options);
        var live = SessionMachine.Apply(publishing, new PlaybackReady(), T0.AddSeconds(3), Options);
        var again = SessionMachine.Apply(live.State, new PlaybackReady(), T0.AddSeconds(4), Options);

        // Assert
        Assert.Equal(SessionState.Starting, stillStarting.State.State);
        Assert.Contains(LifecycleEffect.ProbePlayback, publishing.Outbox);
        Assert.Equal(SessionState.Live, live.State.State);
        Assert.Equal(Channel.PlaybackUrl, live.State.Session!.PlaybackUrl);
        Assert.Equal(T0.AddSeconds(3), live.State.Session.StartedAt);
        Assert.Equal([NotificationKind.Live], live.Notices);
        Assert.DoesNotContain(LifecycleEffect.ProbePlayback, live.State.Outbox);
        Assert.Empty(again.Notices);
    }

    [Fact]
    public void Without_publisher_reports_a_started_channel_is_probed_and_the_live_notification_still_goes_out()
    {
        // Arrange: AWS with input alerts off.
        var options = Options with { ReportsPublisher = false };
        var starting = Run(options, new Schedule(Definition), new LifecycleEvent.Start());

        // Act
        var ready = SessionMachine.Apply(starting, new ChannelReady(Channel), T0, options);
        var live = SessionMachine.Apply(ready.State, new PlaybackReady(), T0.AddSeconds(5), options);

        // Assert
        Assert.Equal([LifecycleEffect.PrepareChannel], starting.Outbox.Where(e => e != LifecycleEffect.IndexSession));
        Assert.Contains(LifecycleEffect.ProbePlayback, ready.State.Outbox);
        Assert.Equal(SessionState.Live, live.State.State);
        Assert.Equal([NotificationKind.Live], live.Notices);
    }

    [Fact]
    public void A_live_session_is_stopped_at_its_maximum_duration_and_not_before()
    {
        // Arrange
        var live = States["live"];
        var limit = live.Deadlines.MaxDurationAt!.Value;

        // Act
        var early = SessionMachine.Apply(live, new Tick(), limit.AddSeconds(-1), Options);
        var due = SessionMachine.Apply(live, new Tick(), limit, Options);

        // Assert
        Assert.Equal(live.Session!.StartedAt + Options.MaxDuration, limit);
        Assert.Same(live, early.State);
        Assert.Equal(SessionState.Ending, due.State.State);
        Assert.Contains(LifecycleEffect.StopChannel, due.State.Outbox);
        Assert.Null(due.State.Session!.PlaybackUrl);
    }

    [Fact]
    public void A_prewarmed_channel_nobody_starts_is_released_after_the_no_show_timeout_and_a_later_start_makes_a_new_one()
    {
        // Arrange
        var prewarmed = States["prewarmed"];

        // Act
        var early = SessionMachine.Apply(prewarmed, new Tick(), Start.AddMinutes(29), Options);
        var released = SessionMachine.Apply(prewarmed, new Tick(), Start + Options.NoShowTimeout, Options);
        var deleted = SessionMachine.Apply(released.State, new ChannelDeleted(), Start.AddMinutes(31), Options);
        var started = SessionMachine.Apply(deleted.State, new LifecycleEvent.Start(), Start.AddMinutes(40), Options);

        // Assert
        Assert.Equal(Start + Options.NoShowTimeout, prewarmed.Deadlines.NoShowAt);
        Assert.DoesNotContain(LifecycleEffect.DeleteChannel, early.State.Outbox);
        Assert.Contains(LifecycleEffect.DeleteChannel, released.State.Outbox);
        Assert.Equal(SessionState.Scheduled, released.State.State);
        Assert.Null(deleted.State.Channel);
        Assert.Null(deleted.State.NextWakeUp());
        Assert.Contains(LifecycleEffect.PrepareChannel, started.State.Outbox);
    }

    [Fact]
    public void A_recording_reported_while_ending_is_kept_and_applied_once_the_stop_completes()
    {
        // Arrange
        var ending = States["ending"];

        // Act
        var early = SessionMachine.Apply(ending, new RecordingReady("https://rec.test/early.m3u8"), T0, Options);
        var stopped = SessionMachine.Apply(early.State, new ChannelStopped(new MediaRecordingRequest(null, Pending: true)), T0.AddSeconds(1), Options);

        // Assert
        Assert.Equal(SessionState.Ending, early.State.State);
        Assert.Empty(early.Notices);
        Assert.Equal(SessionState.Recorded, stopped.State.State);
        Assert.Equal("https://rec.test/early.m3u8", stopped.State.Session!.RecordingUrl);
        Assert.Equal([NotificationKind.RecordingReady], stopped.Notices);
        Assert.Contains(LifecycleEffect.DeleteChannel, stopped.State.Outbox);
    }

    [Fact]
    public void A_harvest_that_never_completes_ends_the_session_with_a_reason_deletes_its_resources_and_tells_the_mentor()
    {
        // Arrange
        var ended = States["ended"];
        var deadline = ended.Deadlines.RecordingAt!.Value;

        // Act
        var waiting = SessionMachine.Apply(ended, new Tick(), deadline.AddSeconds(-1), Options);
        var givenUp = SessionMachine.Apply(ended, new Tick(), deadline, Options);
        var deleted = SessionMachine.Apply(givenUp.State, new ChannelDeleted(), deadline.AddSeconds(1), Options);
        var late = SessionMachine.Apply(deleted.State, new RecordingReady("https://rec.test/late.m3u8"), deadline.AddMinutes(5), Options);

        // Assert
        Assert.Same(ended, waiting.State);
        Assert.Equal(SessionState.Ended, givenUp.State.State);
        Assert.Equal(SessionMachine.RecordingTimeoutReason, givenUp.State.Session!.RecordingFailure);
        Assert.Contains(LifecycleEffect.DeleteChannel, givenUp.State.Outbox);
        Assert.Empty(waiting.Notices);
        Assert.Equal([NotificationKind.RecordingFailed], givenUp.Notices);
        Assert.True(deleted.State.ChannelDeleted);
        Assert.Null(deleted.State.NextWakeUp());

        // A recording that turns up after all still reaches the session.
        Assert.Equal(SessionState.Recorded, late.State.State);
        Assert.Null(late.State.Session!.RecordingFailure);
        Assert.DoesNotContain(LifecycleEffect.DeleteChannel, late.State.Outbox);
    }

    [Fact]
    public void A_channel_created_after_the_session_was_cancelled_is_deleted()
    {
        // Arrange: a start whose channel creation outlived a cancel.
        var cancelled = SessionMachine.Apply(States["starting"], new Cancel(), T0, Options).State;

        // Act
        var ready = SessionMachine.Apply(cancelled, new ChannelReady(Channel), T0.AddSeconds(1), Options);

        // Assert
        Assert.DoesNotContain(LifecycleEffect.PrepareChannel, cancelled.Outbox);
        Assert.Contains(LifecycleEffect.DeleteChannel, ready.State.Outbox);
    }

    [Fact]
    public void A_failed_effect_stays_in_the_outbox_and_wakes_the_session_after_the_retry_delay()
    {
        // Arrange
        var starting = States["starting"];

        // Act
        var failed = SessionMachine.Apply(starting, new EffectFailed(LifecycleEffect.PrepareChannel, "AWS unreachable"), T0, Options);

        // Assert
        Assert.Contains(LifecycleEffect.PrepareChannel, failed.State.Outbox);
        Assert.Equal(T0 + Options.RetryDelay, failed.State.NextWakeUp());
    }

    private static readonly Dictionary<string, LifecycleState> States = new()
    {
        ["scheduled"] = Run(Options, new Schedule(Definition)),
        ["prewarmed"] = Run(Options, new Schedule(Definition), new Tick(), new ChannelReady(Channel), new Indexed()),
        ["starting"] = Run(Options, new Schedule(Definition), new LifecycleEvent.Start()),
        ["publishing"] = Run(Options, new Schedule(Definition), new LifecycleEvent.Start(), new ChannelReady(Channel), new PublisherArrived("c1")),
        ["live"] = Run(Options, new Schedule(Definition), new LifecycleEvent.Start(), new ChannelReady(Channel), new PublisherArrived("c1"), new PlaybackReady()),
        ["ending"] = Run(Options, new Schedule(Definition), new LifecycleEvent.Start(), new ChannelReady(Channel), new PublisherArrived("c1"), new PlaybackReady(), new Stop()),
        ["ended"] = Run(Options, new Schedule(Definition), new LifecycleEvent.Start(), new ChannelReady(Channel), new PublisherArrived("c1"), new PlaybackReady(), new Stop(), new ChannelStopped(new MediaRecordingRequest(null, Pending: true))),
        ["recorded"] = Run(Options, new Schedule(Definition), new LifecycleEvent.Start(), new ChannelReady(Channel), new PublisherArrived("c1"), new PlaybackReady(), new Stop(), new ChannelStopped(new MediaRecordingRequest("https://rec.test/x.mp4", Pending: false))),
        ["cancelled"] = Run(Options, new Schedule(Definition), new Cancel()),
        ["failed"] = Run(Options, new Schedule(Definition), new LifecycleEvent.Start(), new Tick()),
    };

    /// <summary>The state after these events, each at the moment the previous deadline allows (ticks land on the earliest deadline).</summary>
    private static LifecycleState Run(LifecycleOptions options, params LifecycleEvent[] events)
    {
        var state = new LifecycleState();
        var now = T0;
        foreach (var happened in events)
        {
            now = happened is Tick && state.Deadlines.Earliest is { } due ? due : now.AddSeconds(1);
            var decision = SessionMachine.Apply(state, happened, now, options);
            Assert.Null(decision.Refusal);
            state = decision.State;
        }

        return state;
    }

    private static bool Reachable(SessionState from, SessionState to) =>
        SessionLifecycle.CanTransition(from, to)
        || Enum.GetValues<SessionState>().Any(via => SessionLifecycle.CanTransition(from, via) && SessionLifecycle.CanTransition(via, to));

    private static string Name(SessionState state) => state.ToString().ToLowerInvariant();
}
