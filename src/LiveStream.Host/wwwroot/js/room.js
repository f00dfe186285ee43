// @ts-check
// A session's room: reaction buttons and counts, comments (live, older pages, moderation), viewers, over the SSE feed.
import { api, segment, signedIn, subscribe } from './api.js';
import { h, field, onSubmit, clock } from './dom.js';

const labels = /** @type {Record<string, string>} */ ({
  like: 'Like', clap: 'Clap', heart: 'Love', laugh: 'Ha!', insightful: 'Insightful', question: 'Question',
});

/**
 * @typedef {{ commentId: number, userId: string, text: string, postedAt: string }} CommentView
 * @typedef {{ canReact: boolean, moderate: boolean, reactionKinds: string[], onState: (state: string) => void }} RoomOptions
 */

/**
 * @param {string} mentorId
 * @param {string} liveId
 * @param {Record<string, number>} counts initial counts from the session detail
 * @param {number} viewers
 * @param {RoomOptions} options
 * @param {AbortSignal} signal ends the feed when the page goes away
 */
export function room(mentorId, liveId, counts, viewers, options, signal) {
  const base = `/mentor/${segment(mentorId)}/live/${segment(liveId)}`;
  /** @type {Map<string, HTMLElement>} */
  const countSlots = new Map();
  const buttons = h('div', { class: 'reactions', role: 'group', 'aria-label': 'Reactions' });
  for (const kind of options.reactionKinds) {
    const slot = h('span', { class: 'count', 'data-count-for': kind }, String(counts[kind] ?? 0));
    countSlots.set(kind, slot);
    buttons.append(h('button', {
      type: 'button', class: 'reaction', 'data-reaction': kind, 'aria-label': kind, disabled: !options.canReact,
      onclick: () => react(kind),
    }, h('span', { 'aria-hidden': 'true' }, labels[kind] ?? kind), ' ', slot));
  }
  const viewerSlot = h('span', { 'data-viewers': '' }, String(viewers));
  const status = h('p', { class: 'room-status', role: 'status' });
  const list = h('ol', { class: 'comments', 'aria-label': 'Comments' });
  let olderCursor = '0';
  const older = h('button', { type: 'button', class: 'link', 'data-older-comments': '', onclick: () => loadOlder() }, 'Show earlier comments');

  const form = /** @type {HTMLFormElement} */ (h('form', { class: 'comment-form', novalidate: true, 'data-form': 'comment' },
    field('Comment', 'comment', { tag: 'textarea', rows: 2, placeholder: 'Say something…' }),
    h('button', { type: 'submit', disabled: !options.canReact }, 'Send')));
  onSubmit(form, async (values) => {
    const answer = await api('POST', `${base}/reaction`, { comment: values.comment }, { idempotencyKey: crypto.randomUUID() });
    setCounts(answer.counts);
    for (const comment of answer.comments) addComment(comment);
    form.reset();
  });

  /** @param {string} kind */
  async function react(kind) {
    status.textContent = '';
    try {
      const answer = await api('POST', `${base}/reaction`, { reaction: kind }, { idempotencyKey: crypto.randomUUID() });
      setCounts(answer.counts);
    } catch (error) {
      status.textContent = error instanceof Error ? error.message : String(error);
    }
  }

  /** @param {Record<string, number>} next */
  function setCounts(next) {
    for (const [kind, count] of Object.entries(next)) {
      const slot = countSlots.get(kind);
      // Answers and feed events can arrive out of order; counts only grow.
      if (slot && Number(slot.textContent) < count) slot.textContent = String(count);
    }
  }

  /** @param {CommentView} comment @param {boolean} [atTop] */
  function addComment(comment, atTop = false) {
    if (list.querySelector(`[data-comment-id="${comment.commentId}"]`)) return;
    const item = h('li', { 'data-comment-id': comment.commentId },
      h('span', { class: 'author' }, comment.userId),
      h('span', { class: 'text' }, comment.text),
      options.moderate ? moderation(comment) : null);
    const after = [...list.children].find((other) => Number(/** @type {HTMLElement} */ (other).dataset.commentId) > comment.commentId);
    if (atTop || after) list.insertBefore(item, after ?? list.firstChild);
    else list.append(item);
  }

  /** @param {CommentView} comment */
  function moderation(comment) {
    const me = signedIn()?.userId;
    return h('span', { class: 'moderation' },
      h('button', { type: 'button', class: 'small', 'data-delete-comment': comment.commentId, onclick: async () => {
        await act(() => api('DELETE', `${base}/reaction/comments/${comment.commentId}`));
        removeComment(comment.commentId);
      } }, 'Delete'),
      comment.userId === me ? null : h('button', { type: 'button', class: 'small', 'data-mute': comment.userId, onclick: () =>
        act(() => api('PUT', `${base}/muted/${segment(comment.userId)}`)).then(() => { status.textContent = `${comment.userId} is muted.`; }),
      }, 'Mute'));
  }

  /** @param {() => Promise<unknown>} call */
  async function act(call) {
    try {
      await call();
    } catch (error) {
      status.textContent = error instanceof Error ? error.message : String(error);
      throw error;
    }
  }

  /** @param {number} commentId */
  function removeComment(commentId) {
    list.querySelector(`[data-comment-id="${commentId}"]`)?.remove();
  }

  // Comments are paged forward from the start; earlier ones than those on screen go on top.
  async function loadOlder() {
    const first = Number(/** @type {HTMLElement | null} */ (list.firstElementChild)?.dataset.commentId ?? Infinity);
    const page = await api('GET', `${base}/reaction?after=${olderCursor}&limit=50`);
    const earlier = page.comments.filter((/** @type {CommentView} */ comment) => comment.commentId < first);
    for (const comment of earlier) addComment(comment);
    olderCursor = page.next ?? olderCursor;
    if (earlier.length < page.comments.length || page.comments.length === 0) older.remove();
  }

  void subscribe(`${base}/reaction/stream`, (type, data) => {
    switch (type) {
      case 'counts': setCounts(data); break;
      case 'comment': addComment(data); break;
      case 'comment-deleted': removeComment(data.commentId); break;
      case 'viewers': viewerSlot.textContent = String(data.viewers); break;
      case 'state': options.onState(data.state); break;
    }
  }, signal);

  return h('section', { class: 'room', 'aria-label': 'Reactions and comments' },
    buttons,
    h('p', { class: 'viewers' }, viewerSlot, ' watching'),
    status,
    older,
    list,
    options.canReact ? form : null);
}

/**
 * The replay strip: one bar per bucket with reactions, placed at its offset in the recording; a click seeks there.
 * @param {string} mentorId
 * @param {string} liveId
 * @param {HTMLVideoElement} video
 */
export function timeline(mentorId, liveId, video) {
  const strip = h('div', { class: 'timeline', role: 'group', 'aria-label': 'Reactions over the recording' });
  const render = async () => {
    const duration = video.duration;
    if (!Number.isFinite(duration) || duration <= 0) return;
    const bucket = Math.max(1, Math.ceil(duration / 120));
    const data = await api('GET', `/mentor/${segment(mentorId)}/live/${segment(liveId)}/timeline?bucket=${bucket}`);
    const peak = Math.max(1, ...data.buckets.map((/** @type {{ total: number }} */ b) => b.total));
    strip.replaceChildren();
    for (const b of data.buckets) {
      const left = Math.min(100, (b.offsetSeconds / duration) * 100);
      strip.append(h('button', {
        type: 'button', class: 'bar', 'data-offset': b.offsetSeconds, 'data-total': b.total,
        style: `left:${left}%;width:max(4px, ${(bucket / duration) * 100}%);height:${20 + (80 * b.total) / peak}%`,
        'aria-label': `${b.total} reactions at ${clock(b.offsetSeconds)}`, title: `${b.total} at ${clock(b.offsetSeconds)}`,
        onclick: () => { video.currentTime = b.offsetSeconds; void video.play().catch(() => {}); },
      }));
    }
    strip.dataset.ready = 'true';
  };
  if (video.readyState >= 1) void render();
  else video.addEventListener('loadedmetadata', () => void render(), { once: true });
  return strip;
}
