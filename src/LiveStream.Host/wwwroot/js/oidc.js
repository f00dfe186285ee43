// @ts-check
// Sign-in with an OIDC issuer (e.g. Cognito): authorization code flow with PKCE, no client secret in the browser.
import { saveSignIn } from './api.js';

const pendingKey = 'livestream.oidc';

/** @param {string} authority */
async function discover(authority) {
  const response = await fetch(`${authority.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error('The sign-in provider could not be reached.');
  return /** @type {{ authorization_endpoint: string, token_endpoint: string }} */ (await response.json());
}

/** @param {Uint8Array} bytes */
const base64Url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** @param {import('./app.js').AppConfig} config */
export async function startOidcSignIn(config) {
  if (!config.oidcAuthority || !config.oidcClientId) return;
  const metadata = await discover(config.oidcAuthority);
  const verifier = base64Url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64Url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem(pendingKey, JSON.stringify({ verifier, state }));
  const url = new URL(metadata.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code', client_id: config.oidcClientId, redirect_uri: `${location.origin}/`, scope: 'openid',
    code_challenge: challenge, code_challenge_method: 'S256', state,
  }).toString();
  location.assign(url.toString());
}

/**
 * The app's role from the token's role claim. Cognito puts a user's groups there as an array (`cognito:groups`), a
 * plain issuer a single string; the server accepts either (it reads every value of the claim as a role).
 * @param {unknown} claim
 * @returns {'mentor' | 'mentee' | null}
 */
export function roleFromClaim(claim) {
  const values = Array.isArray(claim) ? claim : [claim];
  return values.includes('mentor') ? 'mentor' : values.includes('mentee') ? 'mentee' : null;
}

/**
 * Finishes a sign-in when the issuer redirected back with a code: exchanges it for tokens and keeps the access token.
 * The user id and role come from the token's claims (`sub` and the configured role claim), as the API reads them.
 * @param {import('./app.js').AppConfig} config
 * @returns {Promise<string | null>} why the sign-in failed, or null (signed in, or nothing to finish)
 */
export async function completeOidcSignIn(config) {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  const pending = JSON.parse(sessionStorage.getItem(pendingKey) ?? 'null');
  if (!code || !pending || !config.oidcAuthority || !config.oidcClientId) return null;
  sessionStorage.removeItem(pendingKey);
  history.replaceState(null, '', '/');
  // A code whose state is not the one this tab sent is someone else's sign-in (login CSRF): never exchange it.
  if (params.get('state') !== pending.state) return 'The sign-in answer did not match this browser; please sign in again.';
  const metadata = await discover(config.oidcAuthority);
  const response = await fetch(metadata.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code, redirect_uri: `${location.origin}/`, client_id: config.oidcClientId, code_verifier: pending.verifier,
    }),
  });
  if (!response.ok) return 'The sign-in provider refused the sign-in; please try again.';
  const tokens = await response.json();
  const token = tokens.access_token;
  const claims = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
  const role = roleFromClaim(claims[config.oidcRoleClaim]);
  if (!role) return 'Your account is neither a mentor nor a mentee yet; ask an operator to add it to a group.';
  saveSignIn({
    userId: claims.sub, role, token,
    expiresAt: new Date(Date.now() + (tokens.expires_in ?? 3600) * 1000).toISOString(),
  });
  return null;
}
