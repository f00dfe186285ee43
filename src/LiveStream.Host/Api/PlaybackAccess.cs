using System.Security.Claims;
using LiveStream.Abstractions.Mentees;
using LiveStream.Abstractions.Sessions;
using LiveStream.Host.Auth;
using LiveStream.Infrastructure.Media;
using Microsoft.Extensions.Options;

namespace LiveStream.Host.Api;

/// <summary>
/// Private playback: a session's media URLs reach only a signed-in caller allowed to watch it (the owning mentor;
/// anyone for <see cref="SessionVisibility.Public"/>; followers of the mentor for <see cref="SessionVisibility.Followers"/>),
/// signed and short-lived. Every response that carries a session goes through <see cref="ForViewerAsync"/>.
/// </summary>
public sealed class PlaybackAccess(IPlaybackUrlSigner signer, IGrainFactory grains, TimeProvider clock, IOptions<PlaybackOptions> options)
{
    public async Task<SessionSnapshot> ForViewerAsync(SessionSnapshot session, ClaimsPrincipal user)
    {
        if (session.PlaybackUrl is null && session.RecordingUrl is null)
        {
            return session;
        }

        if (!await MayWatchAsync(session, user))
        {
            return session with { PlaybackUrl = null, RecordingUrl = null };
        }

        var expiresAt = clock.GetUtcNow() + options.Value.UrlLifetime;
        return session with
        {
            PlaybackUrl = session.PlaybackUrl is { } playback ? signer.Sign(playback, expiresAt) : null,
            RecordingUrl = session.RecordingUrl is { } recording ? signer.Sign(recording, expiresAt) : null,
        };
    }

    private async Task<bool> MayWatchAsync(SessionSnapshot session, ClaimsPrincipal user)
    {
        if (user.Id() is not { } userId)
        {
            return false;
        }

        if (user.IsMentor(session.MentorId) || session.Visibility == SessionVisibility.Public)
        {
            return true;
        }

        return user.IsMentee() && await grains.GetGrain<IMenteeGrain>(userId).GetAsync() is { } mentee && mentee.Following.Contains(session.MentorId);
    }
}
