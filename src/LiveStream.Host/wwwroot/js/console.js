// @ts-check
// The mentor console: profile and courses, scheduling, and per session the encoder settings, controls, preview and room.
import { api, ApiError, segment, signedIn } from './api.js';
import { h, field, onSubmit, showErrors } from './dom.js';
import { playLive } from './player.js';
import { room } from './room.js';
import { sessionList, describe } from './pages.js';

/** @typedef {import('./app.js').AppConfig} AppConfig */

function rerender() {
  dispatchEvent(new HashChangeEvent('hashchange'));
}

export async function home() {
  const me = /** @type {import('./api.js').SignedIn} */ (signedIn());
  const base = `/mentor/${segment(me.userId)}`;
  /** @type {any} */
  let profile = null;
  try {
    profile = await api('GET', base);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  }
  const sessions = profile ? await api('GET', `${base}/live?limit=20`) : { items: [] };

  const profileForm = /** @type {HTMLFormElement} */ (h('form', { class: 'card', novalidate: true, 'data-form': 'mentor-profile' },
    h('h2', {}, 'Profile'),
    field('Display name', 'displayName', { value: profile?.displayName ?? '' }),
    field('Bio', 'bio', { tag: 'textarea', rows: 3 }),
    field('Avatar URL', 'avatarUrl', { type: 'url', value: profile?.avatarUrl ?? '' }),
    h('button', { type: 'submit' }, 'Save profile')));
  /** @type {HTMLTextAreaElement} */ (profileForm.querySelector('[name=bio]')).value = profile?.bio ?? '';
  onSubmit(profileForm, async (values) => {
    await api('PUT', base, { displayName: values.displayName, bio: values.bio || null, avatarUrl: values.avatarUrl || null });
    rerender();
  });

  const courseForm = /** @type {HTMLFormElement} */ (h('form', { class: 'card', novalidate: true, 'data-form': 'course' },
    h('h2', {}, 'Courses'),
    profile?.courses.length
      ? h('ul', { class: 'plain' }, ...profile.courses.map((/** @type {any} */ c) => h('li', {}, h('strong', {}, c.title), ` (${c.courseId})`)))
      : h('p', {}, 'No courses yet.'),
    field('Course id', 'courseId', { placeholder: 'e.g. intro-to-go' }),
    field('Title', 'title'),
    field('Description', 'description', { tag: 'textarea', rows: 2 }),
    h('button', { type: 'submit' }, 'Save course')));
  onSubmit(courseForm, async (values) => {
    if (!values.courseId) throw new ApiError(400, { errors: { courseId: ['Give the course an id (letters, digits, - and _).'] } });
    await api('PUT', `${base}/courses/${segment(values.courseId)}`, { title: values.title, description: values.description || null });
    rerender();
  });

  const inAnHour = new Date(Date.now() + 3600_000);
  inAnHour.setSeconds(0, 0);
  const localValue = new Date(inAnHour.getTime() - inAnHour.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  const scheduleForm = /** @type {HTMLFormElement} */ (h('form', { class: 'card', novalidate: true, 'data-form': 'schedule' },
    h('h2', {}, 'Schedule a session'),
    field('Course', 'courseId', { tag: 'select', options: (profile?.courses ?? []).map((/** @type {any} */ c) => h('option', { value: c.courseId }, c.title)) }),
    field('Title', 'title'),
    field('Starts at', 'scheduledStart', { type: 'datetime-local', value: localValue }),
    h('button', { type: 'submit' }, 'Schedule')));
  onSubmit(scheduleForm, async (values) => {
    const start = new Date(values.scheduledStart);
    if (Number.isNaN(start.getTime())) throw new ApiError(400, { errors: { scheduledStart: ['Pick a date and time.'] } });
    const created = await api('POST', '/livestream', {
      mentorId: me.userId, courseId: values.courseId, title: values.title, scheduledStart: start.toISOString(),
    }, { idempotencyKey: crypto.randomUUID() });
    location.hash = `#/console/${segment(created.liveId)}`;
  });

  return h('section', { class: 'page console' },
    h('h1', {}, 'Mentor console'),
    h('div', { class: 'grid' },
      profileForm,
      profile ? courseForm : null,
      profile?.courses.length ? scheduleForm : null,
      profile ? h('section', { class: 'card' }, h('h2', {}, 'Your sessions'), sessionList(me.userId, sessions.items, (id) => `#/console/${segment(id)}`)) : null));
}

/**
 * One session in the console: encoder settings (RTMP URL, hidden stream key), start/stop/cancel, preview, room.
 * @param {string} liveId
 * @param {AppConfig} config
 * @param {AbortSignal} signal
 */
export async function session(liveId, config, signal) {
  const me = /** @type {import('./api.js').SignedIn} */ (signedIn());
  const path = `/mentor/${segment(me.userId)}/live/${segment(liveId)}`;
  let detail = await api('GET', path);
  const state = h('p', { class: 'state-line', role: 'status', 'data-state': detail.state }, describe(detail));
  const errors = h('div', { class: 'card-errors' });
  const preview = /** @type {HTMLVideoElement} */ (h('video', { controls: true, playsinline: true, autoplay: true, muted: true, 'data-preview': '' }));
  const stage = h('div', { class: 'stage' });
  let stopPreview = () => {};
  signal.addEventListener('abort', () => stopPreview());

  const ingest = h('section', { class: 'card ingest' }, h('h2', {}, 'Encoder (OBS)'));
  const controls = h('div', { class: 'controls' });

  const render = () => {
    state.textContent = describe(detail);
    state.dataset.state = detail.state;
    stopPreview();
    stopPreview = () => {};
    if (detail.state === 'live' && detail.playbackUrl) {
      stage.replaceChildren(preview);
      stopPreview = playLive(preview, detail.playbackUrl, (message) => { state.textContent = message; });
    } else {
      stage.replaceChildren(h('div', { class: 'placeholder' }, describe(detail)));
    }
    const can = (/** @type {string[]} */ states) => states.includes(detail.state);
    controls.replaceChildren(
      h('button', { type: 'button', class: 'primary', 'data-action': 'start', disabled: !can(['scheduled']), onclick: () => command('POST', `/livestream/${segment(liveId)}/start`) }, 'Start'),
      h('button', { type: 'button', 'data-action': 'stop', disabled: !can(['starting', 'live']), onclick: () => command('POST', `/livestream/${segment(liveId)}/stop`) }, 'Stop'),
      h('button', { type: 'button', class: 'danger', 'data-action': 'cancel', disabled: !can(['scheduled']), onclick: () => command('DELETE', `/livestream/${segment(liveId)}`) }, 'Cancel'));
  };

  /** @param {string} method @param {string} url */
  const command = async (method, url) => {
    errors.replaceChildren();
    try {
      await api(method, url);
      detail = await api('GET', path);
      render();
    } catch (error) {
      showErrors(errors, error);
    }
  };

  if (['scheduled', 'starting', 'live'].includes(detail.state)) {
    const settings = await api('GET', `/livestream/${segment(liveId)}/ingest`);
    const key = /** @type {HTMLInputElement} */ (h('input', { type: 'password', readonly: true, value: settings.streamKey, 'data-stream-key': '', 'aria-label': 'Stream key' }));
    const reveal = h('button', { type: 'button', class: 'small', 'data-reveal-key': '', onclick: () => {
      key.type = key.type === 'password' ? 'text' : 'password';
      reveal.textContent = key.type === 'password' ? 'Reveal' : 'Hide';
    } }, 'Reveal');
    ingest.append(
      h('div', { class: 'copy-row' }, h('label', {}, 'Server'),
        h('input', { readonly: true, value: settings.url, 'data-ingest-url': '', 'aria-label': 'RTMP server URL' }), copyButton(() => settings.url)),
      h('div', { class: 'copy-row' }, h('label', {}, 'Stream key'), key, reveal, copyButton(() => settings.streamKey)),
      h('p', { class: 'meta' }, 'Keep the key secret: anyone with it can broadcast as you.'));
  } else {
    ingest.append(h('p', {}, 'This session takes no more video.'));
  }

  /** @param {string} state */
  const onState = async (state) => {
    // Off the live stream at once: its files go soon after the session leaves live.
    if (state !== 'live') {
      stopPreview();
      stopPreview = () => {};
    }
    detail = await api('GET', path);
    render();
  };
  render();

  return h('section', { class: 'page console', 'data-live-id': liveId },
    h('p', {}, h('a', { href: '#/' }, '← Console')),
    h('h1', {}, detail.title),
    h('p', { class: 'meta' }, 'Viewers see it at ', h('a', { href: `#/session/${segment(me.userId)}/${segment(liveId)}` }, 'the session page')),
    h('div', { class: 'watch' },
      h('div', { class: 'video-column' }, stage, state, controls, errors, ingest),
      room(me.userId, liveId, detail.reactions, detail.viewers, { canReact: true, moderate: true, reactionKinds: config.reactionKinds, onState }, signal)));
}

/** @param {() => string} text */
function copyButton(text) {
  const button = h('button', { type: 'button', class: 'small', onclick: async () => {
    try {
      await navigator.clipboard.writeText(text());
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Copy failed';
    }
    setTimeout(() => { button.textContent = 'Copy'; }, 1500);
  } }, 'Copy');
  return button;
}


