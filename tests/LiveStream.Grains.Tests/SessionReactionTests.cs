using LiveStream.Abstractions;
using LiveStream.Abstractions.Mentors;
using LiveStream.Abstractions.Reactions;
using LiveStream.Abstractions.Sessions;
using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace LiveStream.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class SessionReactionTests(ClusterFixture fixture)
{
    private async Task<(string MentorId, ILiveSessionGrain Session)> LiveSessionAsync()
    {
        var mentorId = Ids.New("mentor");
        var mentor = fixture.Grains.GetGrain<IMentorGrain>(mentorId);
        await mentor.UpsertProfileAsync(new MentorProfileUpdate("Ada", null, null));
        await mentor.UpsertCourseAsync("course", new CourseUpdate("Engines", null));
        var scheduled = await mentor.ScheduleSessionAsync(new ScheduleSessionCommand("course", "Live", DateTimeOffset.UtcNow.AddMinutes(5)));
        var session = fixture.Grains.GetGrain<ILiveSessionGrain>(scheduled.LiveId);
        await session.StartAsync();
        var ingest = await session.GetIngestAsync();
        PublishedMedia.WriteFirstSegment(scheduled.LiveId);
        Assert.True(await session.AuthorizePublishAsync(new PublishAttempt(ingest.StreamKey, "connection-1")));
        Assert.Equal(SessionState.Live, (await session.GetAsync())!.State);
        return (mentorId, session);
    }

    private Task<long> StoredReactionsAsync(ILiveSessionGrain session) =>
        fixture.Database.ScalarAsync<long>("SELECT count(*) FROM session_request_keys WHERE live_id = @live AND kind IS NOT NULL", ("live", session.GetPrimaryKeyString()));

    [Fact]
    public async Task Counts_are_exact_under_concurrent_posting_from_many_viewers()
    {
        // Arrange
        var (mentorId, session) = await LiveSessionAsync();
        var viewers = Enumerable.Range(0, 25).Select(i => $"viewer-{i}").ToList();

        // Act: 25 viewers x 20 taps, all at once, cycling through the kinds.
        var taps = viewers.SelectMany(viewer => Enumerable.Range(0, 20).Select(i =>
            session.ReactAsync(mentorId, new Interaction(viewer, ReactionKinds.All[i % ReactionKinds.All.Count], null, null))));
        await Task.WhenAll(taps);
        await fixture.Cluster.DeactivateAsync(session);
        var reloaded = await session.GetReactionsAsync(mentorId, null, 10);

        // Assert: in memory before and after reactivation, and in PostgreSQL, exactly 500.
        var expected = ReactionKinds.All.ToDictionary(kind => kind, kind => 25L * Enumerable.Range(0, 20).Count(i => ReactionKinds.All[i % ReactionKinds.All.Count] == kind));
        Assert.Equal(expected, reloaded.Counts.ToDictionary());
        Assert.Equal(500, reloaded.Counts.Values.Sum());
        Assert.Equal(500, await StoredReactionsAsync(session));
    }

    [Fact]
    public async Task A_retried_request_with_the_same_idempotency_key_counts_once_even_after_reactivation()
    {
        var (mentorId, session) = await LiveSessionAsync();
        var tap = new Interaction("viewer", ReactionKinds.Clap, null, "tap-1");

        var first = await session.ReactAsync(mentorId, tap);
        var retried = await session.ReactAsync(mentorId, tap);
        await fixture.Cluster.DeactivateAsync(session);
        var afterReactivation = await session.ReactAsync(mentorId, tap);

        Assert.Equal(1, first.Counts[ReactionKinds.Clap]);
        Assert.Equal(1, retried.Counts[ReactionKinds.Clap]);
        Assert.Equal(1, afterReactivation.Counts[ReactionKinds.Clap]);
        Assert.Equal(1, await StoredReactionsAsync(session));
    }

    [Fact]
    public async Task A_batch_answers_each_item_on_its_own_and_a_repeated_batch_counts_each_item_once()
    {
        // Arrange
        var (mentorId, session) = await LiveSessionAsync();
        await session.MuteAsync(mentorId, "troll");
        ImmutableArray<Interaction> batch =
        [
            new("viewer-1", ReactionKinds.Clap, null, "k1"),
            new("viewer-2", "shrug", null, "k2"),
            new("troll", ReactionKinds.Clap, null, "k3"),
            new("viewer-3", null, "Is the carry flag set?", "k4"),
            new("viewer-4", ReactionKinds.Clap, null, null),
        ];

        // Act
        var first = await session.ReactBatchAsync(mentorId, batch);
        var repeated = await session.ReactBatchAsync(mentorId, batch);

        // Assert: the valid reaction and comment are stored once; each refusal is the one a single call would get.
        Assert.Equal(1, first[0].CountsOrThrow()[ReactionKinds.Clap]);
        Assert.Equal(("reaction", DomainErrorKind.Invalid), (Assert.Throws<DomainException>(() => first[1].CountsOrThrow()).Field, first[1].ErrorKind));
        Assert.Equal(DomainErrorKind.Forbidden, Assert.Throws<DomainException>(() => first[2].CountsOrThrow()).Kind);
        Assert.Equal(1, first[3].CountsOrThrow()[ReactionKinds.Clap]);
        Assert.Equal("Idempotency-Key", Assert.Throws<DomainException>(() => first[4].CountsOrThrow()).Field);
        Assert.Equal(1, repeated[0].CountsOrThrow()[ReactionKinds.Clap]);
        Assert.Equal(1, await StoredReactionsAsync(session));
        Assert.Single((await session.GetReactionsAsync(mentorId, null, 10)).Comments);
    }

    [Fact]
    public async Task Reacting_before_the_session_is_live_is_a_conflict()
    {
        var mentorId = Ids.New("mentor");
        var mentor = fixture.Grains.GetGrain<IMentorGrain>(mentorId);
        await mentor.UpsertProfileAsync(new MentorProfileUpdate("Ada", null, null));
        await mentor.UpsertCourseAsync("course", new CourseUpdate("Engines", null));
        var scheduled = await mentor.ScheduleSessionAsync(new ScheduleSessionCommand("course", "Soon", DateTimeOffset.UtcNow.AddHours(1)));
        var session = fixture.Grains.GetGrain<ILiveSessionGrain>(scheduled.LiveId);

        var error = await Assert.ThrowsAsync<DomainException>(() => session.ReactAsync(mentorId, new Interaction("viewer", ReactionKinds.Like, null, null)));

        Assert.Equal(DomainErrorKind.Conflict, error.Kind);
        Assert.Equal(0, await StoredReactionsAsync(session));
    }

    [Theory]
    [InlineData("applause", null, "reaction")]
    [InlineData(null, null, "reaction")]
    [InlineData("like", "and a comment", "comment")]
    [InlineData(null, "   ", "comment")]
    [InlineData(null, "bell\u0007", "comment")]
    public async Task Invalid_interactions_are_refused_naming_the_field(string? kind, string? comment, string field)
    {
        var (mentorId, session) = await LiveSessionAsync();

        var error = await Assert.ThrowsAsync<DomainException>(() => session.ReactAsync(mentorId, new Interaction("viewer", kind, comment, null)));

        Assert.Equal((DomainErrorKind.Invalid, field), (error.Kind, error.Field));
    }

    [Fact]
    public async Task An_over_long_comment_is_refused_and_one_at_the_limit_is_kept()
    {
        var (mentorId, session) = await LiveSessionAsync();

        var error = await Assert.ThrowsAsync<DomainException>(() =>
            session.ReactAsync(mentorId, new Interaction("viewer", null, new string('x', Limits.MaxCommentLength + 1), null)));
        var kept = await session.ReactAsync(mentorId, new Interaction("viewer", null, new string('y', Limits.MaxCommentLength), null));

        Assert.Equal("comment", error.Field);
        Assert.Equal(Limits.MaxCommentLength, Assert.Single(kept.Comments).Text.Length);
    }

    [Fact]
    public async Task A_muted_viewer_is_refused_until_unmuted()
    {
        var (mentorId, session) = await LiveSessionAsync();
        await session.MuteAsync(mentorId, "troll");

        var muted = await Assert.ThrowsAsync<DomainException>(() => session.ReactAsync(mentorId, new Interaction("troll", null, "spam", null)));
        await fixture.Cluster.DeactivateAsync(session);
        var stillMuted = await Assert.ThrowsAsync<DomainException>(() => session.ReactAsync(mentorId, new Interaction("troll", ReactionKinds.Like, null, null)));
        await session.UnmuteAsync(mentorId, "troll");
        var allowed = await session.ReactAsync(mentorId, new Interaction("troll", ReactionKinds.Like, null, null));

        Assert.Equal(DomainErrorKind.Forbidden, muted.Kind);
        Assert.Equal(DomainErrorKind.Forbidden, stillMuted.Kind);
        Assert.Equal(1, allowed.Counts[ReactionKinds.Like]);
    }

    [Fact]
    public async Task Comments_page_by_cursor_beyond_the_in_memory_window_and_deleted_ones_disappear()
    {
        // Arrange: more comments than the grain keeps in memory.
        var (mentorId, session) = await LiveSessionAsync();
        var total = ReactionBoard.CommentWindow + 30;
        for (var i = 1; i <= total; i++)
        {
            await session.ReactAsync(mentorId, new Interaction($"viewer-{i % 7}", null, $"comment {i}", null));
        }

        // Act
        var pages = new List<Comment>();
        long? cursor = 0;
        while (true)
        {
            var page = await session.GetReactionsAsync(mentorId, cursor, 100);
            if (page.Comments.IsEmpty)
            {
                break;
            }

            pages.AddRange(page.Comments);
            cursor = page.NextCursor;
        }

        var deletedId = pages[10].CommentId;
        Assert.True(await session.DeleteCommentAsync(mentorId, deletedId));
        var afterDelete = await session.GetReactionsAsync(mentorId, pages[9].CommentId, 1);
        var newest = await session.GetReactionsAsync(mentorId, null, 3);

        // Assert
        Assert.Equal(Enumerable.Range(1, total).Select(i => $"comment {i}"), pages.Select(comment => comment.Text));
        Assert.Equal(pages[11].CommentId, Assert.Single(afterDelete.Comments).CommentId);
        Assert.Equal([$"comment {total - 2}", $"comment {total - 1}", $"comment {total}"], newest.Comments.Select(comment => comment.Text));
        Assert.False(await session.DeleteCommentAsync(mentorId, deletedId));
    }

    [Fact]
    public async Task Another_mentors_route_does_not_find_the_session()
    {
        var (_, session) = await LiveSessionAsync();

        var error = await Assert.ThrowsAsync<DomainException>(() => session.ReactAsync("someone-else", new Interaction("viewer", ReactionKinds.Like, null, null)));

        Assert.Equal(DomainErrorKind.NotFound, error.Kind);
    }

    [Fact]
    public async Task A_feed_observer_gets_each_new_comment_and_counts_every_second()
    {
        // Arrange
        var (mentorId, session) = await LiveSessionAsync();
        var observer = new RecordingObserver();
        var reference = fixture.Cluster.Client.CreateObjectReference<ISessionFeedObserver>(observer);
        await session.SubscribeFeedAsync(mentorId, reference);

        // Act
        await session.ReactAsync(mentorId, new Interaction("viewer", null, "first!", null));
        await session.ReactAsync(mentorId, new Interaction("viewer", ReactionKinds.Heart, null, null));
        var comment = await observer.Comments.Reader.ReadAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token);
        ImmutableDictionary<string, long> counts;
        do
        {
            counts = await observer.Counts.Reader.ReadAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token);
        }
        while (counts[ReactionKinds.Heart] == 0);

        // Assert
        Assert.Equal("first!", comment.Text);
        Assert.Equal(1, counts[ReactionKinds.Heart]);
        await session.UnsubscribeFeedAsync(reference);
    }

    [Fact]
    public async Task A_feed_observer_hears_deleted_comments_state_changes_and_the_viewers_its_process_reports()
    {
        // Arrange
        var (mentorId, session) = await LiveSessionAsync();
        var observer = new RecordingObserver();
        var reference = fixture.Cluster.Client.CreateObjectReference<ISessionFeedObserver>(observer);
        var posted = await session.ReactAsync(mentorId, new Interaction("viewer", null, "to be removed", null));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        // Act
        await session.ReportViewersAsync(mentorId, reference, 3);
        var viewers = await observer.Viewers.Reader.ReadAsync(timeout.Token);
        var detailViewers = (await session.GetViewAsync())!.Viewers;
        Assert.True(await session.DeleteCommentAsync(mentorId, posted.Comments.Single().CommentId));
        var deleted = await observer.DeletedComments.Reader.ReadAsync(timeout.Token);
        await session.StopAsync();
        var state = await observer.States.Reader.ReadAsync(timeout.Token);

        // Assert
        Assert.Equal(3, viewers);
        Assert.Equal(3, detailViewers);
        Assert.Equal(posted.Comments.Single().CommentId, deleted);
        Assert.Equal(SessionState.Ending, state);
        await session.UnsubscribeFeedAsync(reference);
        Assert.Equal(0, (await session.GetViewAsync())!.Viewers);
    }

    [Fact]
    public async Task Timeline_puts_the_reactions_in_the_bucket_of_their_offset_from_the_start()
    {
        // Arrange
        var (mentorId, session) = await LiveSessionAsync();
        var startedAt = (await session.GetAsync())!.StartedAt!.Value;
        for (var i = 0; i < 3; i++)
        {
            await session.ReactAsync(mentorId, new Interaction($"viewer-{i}", ReactionKinds.Clap, null, null));
        }

        await session.ReactAsync(mentorId, new Interaction("viewer-x", ReactionKinds.Heart, null, null));
        var expectedOffset = (int)((DateTimeOffset.UtcNow - startedAt).TotalSeconds / 3600) * 3600;

        // Act
        var timeline = await session.GetTimelineAsync(mentorId, 3600);
        var invalid = await Assert.ThrowsAsync<DomainException>(() => session.GetTimelineAsync(mentorId, 0));

        // Assert
        Assert.Equal(startedAt, timeline.RecordingStart);
        var bucket = Assert.Single(timeline.Buckets);
        Assert.Equal(expectedOffset, bucket.OffsetSeconds);
        Assert.Equal(3, bucket.Counts[ReactionKinds.Clap]);
        Assert.Equal(1, bucket.Counts[ReactionKinds.Heart]);
        Assert.Equal(4, bucket.Total);
        Assert.Equal(DomainErrorKind.Invalid, invalid.Kind);
    }

    private sealed class RecordingObserver : ISessionFeedObserver
    {
        public System.Threading.Channels.Channel<Comment> Comments { get; } = System.Threading.Channels.Channel.CreateUnbounded<Comment>();

        public System.Threading.Channels.Channel<ImmutableDictionary<string, long>> Counts { get; } =
            System.Threading.Channels.Channel.CreateUnbounded<ImmutableDictionary<string, long>>();

        public Task OnCountsAsync(string liveId, ImmutableDictionary<string, long> counts) => Counts.Writer.WriteAsync(counts).AsTask();

        public System.Threading.Channels.Channel<long> DeletedComments { get; } = System.Threading.Channels.Channel.CreateUnbounded<long>();

        public System.Threading.Channels.Channel<SessionState> States { get; } = System.Threading.Channels.Channel.CreateUnbounded<SessionState>();

        public System.Threading.Channels.Channel<int> Viewers { get; } = System.Threading.Channels.Channel.CreateUnbounded<int>();

        public Task OnCommentAsync(string liveId, Comment comment) => Comments.Writer.WriteAsync(comment).AsTask();

        public Task OnCommentDeletedAsync(string liveId, long commentId) => DeletedComments.Writer.WriteAsync(commentId).AsTask();

        public Task OnStateChangedAsync(string liveId, SessionState state) => States.Writer.WriteAsync(state).AsTask();

        public Task OnViewersAsync(string liveId, int viewers) => Viewers.Writer.WriteAsync(viewers).AsTask();
    }
}
