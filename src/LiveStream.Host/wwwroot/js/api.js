// @ts-check
// The API client of the web app: bearer token from the signed-in user, problem+json errors with their fields.

/** @typedef {{ userId: string, role: 'mentor' | 'mentee', token: string, expiresAt: string }} SignedIn */
/** @typedef {{ type?: string, title?: string, status?: number, detail?: string, errors?: Record<string, string[]> }} Problem */

const storageKey = 'livestream.session';

/** An API answer other than 2xx, with the problem document the API sent. */
export class ApiError extends Error {
  /** @param {number} status @param {Problem} problem */
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }

  /** @returns {Record<string, string[]>} field name -> messages */
  get fieldErrors() {
    return this.problem.errors ?? {};
  }
}

/** @returns {SignedIn | null} */
export function signedIn() {
  try {
    const value = /** @type {SignedIn | null} */ (JSON.parse(localStorage.getItem(storageKey) ?? 'null'));
    return value && Date.parse(value.expiresAt) > Date.now() ? value : null;
  } catch {
    return null;
  }
}

/** @param {SignedIn | null} value */
export function saveSignIn(value) {
  if (value) {
    localStorage.setItem(storageKey, JSON.stringify(value));
  } else {
    localStorage.removeItem(storageKey);
  }
}

/** @param {string} text */
export const segment = (text) => encodeURIComponent(text);

/**
 * Calls the API; resolves with the JSON body (undefined for 204), rejects with ApiError.
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {{ idempotencyKey?: string, anonymous?: boolean }} [options]
 * @returns {Promise<any>}
 */
export async function api(method, path, body, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  const user = signedIn();
  if (user && !options.anonymous) headers.Authorization = `Bearer ${user.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, { title: 'Network error', detail: 'The server could not be reached; try again.' });
  }
  const text = await response.text();
  const json = text ? safeJson(text) : undefined;
  if (!response.ok) throw new ApiError(response.status, json ?? { title: response.statusText });
  return json;
}

/** @param {string} text */
function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text };
  }
}

/**
 * Reads a Server-Sent Events stream with the bearer token (EventSource cannot send one) and calls onEvent per event;
 * reconnects after a drop until the signal aborts.
 * @param {string} path
 * @param {(type: string, data: any) => void} onEvent
 * @param {AbortSignal} signal
 */
export async function subscribe(path, onEvent, signal) {
  let delay = 500;
  while (!signal.aborted) {
    try {
      const user = signedIn();
      const response = await fetch(path, {
        headers: { Accept: 'text/event-stream', ...(user ? { Authorization: `Bearer ${user.token}` } : {}) },
        signal,
      });
      if (!response.ok || !response.body) throw new Error(`feed answered ${response.status}`);
      delay = 500;
      await readEvents(response.body, onEvent);
    } catch {
      if (signal.aborted) return;
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 8000);
  }
}

/**
 * @param {ReadableStream<Uint8Array>} body
 * @param {(type: string, data: any) => void} onEvent
 */
async function readEvents(body, onEvent) {
  // @ts-ignore: TypeScript's DOM typings disagree with themselves on TextDecoderStream's writable side; browsers accept it.
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let type = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) type = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length) onEvent(type, safeJson(data.join('\n')));
    }
  }
}
