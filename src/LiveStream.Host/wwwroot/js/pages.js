// @ts-check
// Mentee pages: sign in, home, a mentor's page, the notification inbox and the session page.
import { api, ApiError, saveSignIn, segment, signedIn } from './api.js';
import { h, field, onSubmit, formatTime, notice } from './dom.js';
import { startOidcSignIn } from './oidc.js';
import { playLive, playRecording } from './player.js';
import { room, timeline } from './room.js';

/** @typedef {import('./app.js').AppConfig} AppConfig */

/**
 * @param {AppConfig} config
 * @param {string | null} [failure] why the last OIDC sign-in did not complete
 */
export function signIn(config, failure = null) {
  const form = /** @type {HTMLFormElement} */ (h('form', { class: 'card', novalidate: true, 'data-form': 'dev-token' },
    h('h2', {}, 'Sign in (development)'),
    field('User id', 'userId', { autocomplete: 'username', required: true }),
    field('I am a', 'role', { tag: 'select', options: [h('option', { value: 'mentee' }, 'mentee'), h('option', { value: 'mentor' }, 'mentor')] }),
    h('button', { type: 'submit' }, 'Sign in')));
  onSubmit(form, async (values) => {
    const answer = await api('POST', '/auth/dev-token', { userId: values.userId, role: values.role }, { anonymous: true });
    saveSignIn({ userId: values.userId, role: /** @type {'mentor' | 'mentee'} */ (values.role), token: answer.token, expiresAt: answer.expiresAt });
    location.hash = '#/';
  });
  return h('section', { class: 'page narrow' },
    h('h1', {}, 'Welcome to LiveStream'),
    h('p', {}, 'Live mentoring sessions: watch, react and ask questions.'),
    failure ? notice(failure, 'error') : null,
    config.oidcAuthority
      ? h('button', { type: 'button', class: 'primary', 'data-oidc-sign-in': '', onclick: () => void startOidcSignIn(config) }, 'Sign in')
      : null,
    config.devTokens ? form : null,
    !config.devTokens && !config.oidcAuthority ? notice('Sign-in is not configured on this server.', 'error') : null);
}

/** A mentee's home: profile, the mentors followed, finding a mentor. */
export async function home() {
  const me = /** @type {import('./api.js').SignedIn} */ (signedIn());
  /** @type {{ displayName: string, following: string[] } | null} */
  let profile = null;
  try {
    profile = await api('GET', `/mentee/${segment(me.userId)}`);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  }
  const profileForm = /** @type {HTMLFormElement} */ (h('form', { class: 'card', novalidate: true, 'data-form': 'mentee-profile' },
    h('h2', {}, 'Your profile'),
    field('Display name', 'displayName', { value: profile?.displayName ?? '' }),
    h('button', { type: 'submit' }, 'Save')));
  onSubmit(profileForm, async (values) => {
    await api('PUT', `/mentee/${segment(me.userId)}`, { displayName: values.displayName });
    location.hash = '#/';
    dispatchEvent(new HashChangeEvent('hashchange'));
  });
  const find = /** @type {HTMLFormElement} */ (h('form', { class: 'card inline', novalidate: true },
    h('h2', {}, 'Find a mentor'),
    field('Mentor id', 'mentorId'),
    h('button', { type: 'submit' }, 'Open')));
  onSubmit(find, async (values) => { location.hash = `#/mentor/${segment(values.mentorId.trim())}`; });
  return h('section', { class: 'page' },
    h('h1', {}, profile ? `Hello, ${profile.displayName}` : 'Create your profile'),
    profileForm,
    profile ? find : null,
    profile ? h('section', { class: 'card' }, h('h2', {}, 'Following'),
      profile.following.length
        ? h('ul', { class: 'plain' }, ...profile.following.map((id) => h('li', {}, h('a', { href: `#/mentor/${segment(id)}` }, id))))
        : h('p', {}, 'Nobody yet.')) : null);
}

/** @param {string} mentorId */
export async function mentor(mentorId) {
  const me = /** @type {import('./api.js').SignedIn} */ (signedIn());
  const [profile, sessions, mine] = await Promise.all([
    api('GET', `/mentor/${segment(mentorId)}`),
    api('GET', `/mentor/${segment(mentorId)}/live?limit=20`),
    me.role === 'mentee' ? api('GET', `/mentee/${segment(me.userId)}`).catch(() => null) : Promise.resolve(null),
  ]);
  let following = !!mine?.following.includes(mentorId);
  const status = h('p', { class: 'form-error', role: 'alert' });
  const follow = h('button', { type: 'button', class: 'primary', 'data-follow': '' });
  const renderFollow = () => { follow.textContent = following ? 'Unfollow' : 'Follow'; follow.setAttribute('aria-pressed', String(following)); };
  follow.addEventListener('click', async () => {
    status.textContent = '';
    try {
      await api(following ? 'DELETE' : 'PUT', `/mentee/${segment(me.userId)}/following/${segment(mentorId)}`);
      following = !following;
      renderFollow();
    } catch (error) {
      status.textContent = error instanceof ApiError && error.status === 404 && !mine
        ? 'Create your profile first (Home).' : error instanceof Error ? error.message : String(error);
    }
  });
  renderFollow();
  return h('section', { class: 'page' },
    h('div', { class: 'profile' },
      profile.avatarUrl ? h('img', { class: 'avatar', src: profile.avatarUrl, alt: '' }) : null,
      h('div', {}, h('h1', {}, profile.displayName), profile.bio ? h('p', {}, profile.bio) : null),
      me.role === 'mentee' ? follow : null),
    status,
    h('section', { class: 'card' }, h('h2', {}, 'Courses'),
      profile.courses.length
        ? h('ul', { class: 'plain' }, ...profile.courses.map((/** @type {any} */ c) => h('li', {}, h('strong', {}, c.title), c.description ? h('p', {}, c.description) : null)))
        : h('p', {}, 'No courses yet.')),
    h('section', { class: 'card' }, h('h2', {}, 'Sessions'), sessionList(mentorId, sessions.items, (id) => `#/session/${segment(mentorId)}/${segment(id)}`)));
}

/**
 * @param {string} mentorId
 * @param {any[]} items
 * @param {(liveId: string) => string} link
 */
export function sessionList(mentorId, items, link) {
  if (!items.length) return h('p', {}, 'No sessions yet.');
  return h('ul', { class: 'sessions plain', 'data-mentor': mentorId }, ...items.map((s) =>
    h('li', { 'data-live-id': s.liveId },
      h('a', { href: link(s.liveId) }, s.title),
      ' ', h('span', { class: `state ${s.state}` }, s.state),
      h('div', { class: 'meta' }, formatTime(s.scheduledStart)))));
}

/** The signed-in user's inbox: a mentee's notices of followed mentors, a mentor's notices about their own sessions. */
export async function inbox() {
  const me = /** @type {import('./api.js').SignedIn} */ (signedIn());
  const mentor = me.role === 'mentor';
  const list = h('ul', { class: 'inbox plain', 'aria-label': 'Notifications' });
  const more = h('button', { type: 'button', class: 'link' }, 'Load more');
  /** @type {string | null} */
  let cursor = null;
  const load = async () => {
    const page = await api('GET', `/${me.role}/${segment(me.userId)}/notifications?limit=20${cursor ? `&after=${encodeURIComponent(cursor)}` : ''}`);
    // Newest last from the API; the inbox shows the newest on top.
    for (const n of page.items) {
      list.prepend(h('li', { 'data-notification': n.kind },
        h('a', { href: mentor ? `#/console/${segment(n.liveId)}` : `#/session/${segment(n.mentorId)}/${segment(n.liveId)}` }, h('strong', {}, n.title)),
        h('p', {}, n.body), h('div', { class: 'meta' }, `${n.kind} · ${formatTime(n.createdAt)}`)));
    }
    cursor = page.next ?? cursor;
    if (!page.next || page.items.length === 0) more.remove();
  };
  more.addEventListener('click', () => void load());
  await load();
  return h('section', { class: 'page' }, h('h1', {}, 'Inbox'),
    list.childElementCount ? list : h('p', {}, mentor
      ? 'No notices. You hear here when something goes wrong with a session, e.g. a recording that failed.'
      : 'No notifications yet. Follow a mentor to hear about their sessions.'), more);
}

/**
 * The session page: live video or the recording with its reaction strip, reactions, comments, viewers.
 * @param {string} mentorId
 * @param {string} liveId
 * @param {AppConfig} config
 * @param {AbortSignal} signal
 */
export async function session(mentorId, liveId, config, signal) {
  const me = /** @type {import('./api.js').SignedIn} */ (signedIn());
  const path = `/mentor/${segment(mentorId)}/live/${segment(liveId)}`;
  let detail = await api('GET', path);
  const video = /** @type {HTMLVideoElement} */ (h('video', { controls: true, playsinline: true, autoplay: true, muted: true, 'data-player': '' }));
  const stage = h('div', { class: 'stage' });
  const caption = h('p', { class: 'state-line', role: 'status' });
  const below = h('div', { class: 'below-player' });
  let stop = () => {};
  signal.addEventListener('abort', () => stop());

  const show = () => {
    stop();
    stop = () => {};
    caption.textContent = describe(detail);
    caption.dataset.state = detail.state;
    below.replaceChildren();
    if (detail.state === 'live' && detail.playbackUrl) {
      stage.replaceChildren(video);
      stop = playLive(video, detail.playbackUrl, (message) => { caption.textContent = message; });
    } else if (detail.recordingUrl) {
      stage.replaceChildren(video);
      stop = playRecording(video, detail.recordingUrl);
      below.append(timeline(mentorId, liveId, video));
    } else {
      stage.replaceChildren(h('div', { class: 'placeholder' }, describe(detail)));
    }
  };

  /** @param {string} state */
  const onState = async (state) => {
    // Off the live stream at once: its files go soon after the session leaves live.
    if (state !== 'live') {
      stop();
      stop = () => {};
    }
    detail = await api('GET', path);
    show();
  };
  show();

  const canReact = me.role === 'mentee' || me.userId === mentorId;
  return h('section', { class: 'page session', 'data-live-id': liveId },
    h('h1', {}, detail.title),
    h('p', { class: 'meta' }, 'with ', h('a', { href: `#/mentor/${segment(mentorId)}` }, detail.mentor?.displayName ?? mentorId),
      detail.course ? ` · ${detail.course.title}` : ''),
    h('div', { class: 'watch' },
      h('div', { class: 'video-column' }, stage, below, caption),
      room(mentorId, liveId, detail.reactions, detail.viewers, { canReact, moderate: false, reactionKinds: config.reactionKinds, onState }, signal)));
}

/** @param {any} detail */
export function describe(detail) {
  switch (detail.state) {
    case 'scheduled': return `Starts ${formatTime(detail.scheduledStart)}. This page plays as soon as it is live.`;
    case 'starting': return 'Starting… this page plays as soon as the video arrives.';
    case 'live': return 'Live now';
    case 'ending': case 'ended': return 'The session is over; the recording is being prepared.';
    case 'recorded': return 'Recording';
    case 'cancelled': return 'This session was cancelled.';
    case 'failed': return 'This session could not be broadcast.';
    default: return detail.state;
  }
}
