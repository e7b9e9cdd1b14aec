// The control API, as the inspector calls it: same origin, with the session cookie.
const body = document.body;
/** The server's root path ("/" or a mount prefix, ending in "/"). */
export const root = body.dataset.root || '/';
/** The inspector's own base path, ".../_sandbox/ui/". */
export const base = body.dataset.base || root + '_sandbox/ui/';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function errorText(status, data) {
  if (data && typeof data === 'object') {
    const error = data.error ?? data.status_msg;
    if (error !== undefined) return typeof error === 'string' ? error : JSON.stringify(error);
  }
  return typeof data === 'string' && data ? data : `HTTP ${status}`;
}

/**
 * Calls `path` (below the root, e.g. "_sandbox/messages") and answers its JSON (or text).
 * Options: method, query (object; empty values left out), json (a body), xml (a text body).
 * Throws ApiError with the server's message; a lost session goes back to the login form.
 */
export async function api(path, { method = 'GET', query, json, xml } = {}) {
  let url = root + path.replace(/^\//, '');
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
    if ([...q].length) url += '?' + q;
  }
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (xml !== undefined) {
    init.headers['Content-Type'] = 'application/xml';
    init.body = xml;
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    throw new ApiError(0, 'The sandbox did not answer (is it still running?)');
  }
  if (response.status === 204) return null;
  const type = response.headers.get('content-type') || '';
  const data = type.includes('json') ? await response.json().catch(() => null) : await response.text();
  if (!response.ok) {
    if (response.status === 401) location.assign(base + 'login');
    throw new ApiError(response.status, errorText(response.status, data));
  }
  return data;
}
