// @ts-check
// The web app: a hash router over the pages, the navigation for the signed-in user, the app configuration.
import { api, signedIn, saveSignIn } from './api.js';
import { h, notice } from './dom.js';
import { completeOidcSignIn } from './oidc.js';
import * as pages from './pages.js';
import * as consolePages from './console.js';

/** @typedef {{ devTokens: boolean, oidcAuthority: string | null, oidcClientId: string | null, oidcRoleClaim: string, reactionKinds: string[] }} AppConfig */

const main = /** @type {HTMLElement} */ (document.getElementById('app'));
const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
/** @type {AbortController | undefined} */
let current;

/** @type {AppConfig} */
const config = await api('GET', '/app/config', undefined, { anonymous: true });
const signInError = await completeOidcSignIn(config).catch(() => 'The sign-in provider could not be reached.');

async function route() {
  current?.abort(); // ends the previous page's live feed and player
  current = new AbortController();
  const signal = current.signal;
  renderNav();
  const user = signedIn();
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  main.replaceChildren(notice('Loading…'));
  try {
    /** @type {HTMLElement} */
    let page;
    if (!user || parts[0] === 'signin') page = pages.signIn(config, signInError);
    else if (parts[0] === 'mentor' && parts[1]) page = await pages.mentor(parts[1]);
    else if (parts[0] === 'inbox') page = await pages.inbox();
    else if (parts[0] === 'session' && parts[1] && parts[2]) page = await pages.session(parts[1], parts[2], config, signal);
    else if (parts[0] === 'console' && parts[1] && user.role === 'mentor') page = await consolePages.session(parts[1], config, signal);
    else if (user.role === 'mentor') page = await consolePages.home();
    else page = await pages.home();
    if (!signal.aborted) main.replaceChildren(page);
  } catch (error) {
    if (!signal.aborted) main.replaceChildren(notice(error instanceof Error ? error.message : String(error), 'error'));
  }
}

function renderNav() {
  const user = signedIn();
  nav.replaceChildren(...(user
    ? [
        ...(user.role === 'mentor' ? [h('a', { href: '#/' }, 'Console')] : []),
        h('a', { href: '#/inbox' }, 'Inbox'),
        h('span', { class: 'who', 'data-signed-in': user.userId }, `${user.userId} (${user.role})`),
        h('button', { type: 'button', class: 'link', onclick: () => { saveSignIn(null); location.hash = '#/signin'; void route(); } }, 'Sign out'),
      ]
    : [h('a', { href: '#/signin' }, 'Sign in')]));
}

window.addEventListener('hashchange', () => void route());
await route();
