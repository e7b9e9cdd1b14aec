// Live updates: one EventSource on GET /_sandbox/events for the whole page. Views get every event
// (app.js hands them to the current view); the last ones are kept for the activity view.
import { api, root } from './api.js';

export const recent = [];
const KEEP = 500;
const listeners = new Set();

export function onEvent(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Opens the stream; `status(state)` is told "on", "connecting" or "off". */
export function start(status) {
  let lastId = 0;
  let offTimer = null;
  const source = new EventSource(root + '_sandbox/events');
  source.onopen = () => {
    clearTimeout(offTimer);
    status('on');
  };
  source.onmessage = (message) => {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    if (event.id <= lastId) return;
    lastId = event.id;
    recent.push(event);
    if (recent.length > KEEP) recent.shift();
    for (const listener of listeners) listener(event);
  };
  source.onerror = () => {
    // The server ends each stream after a while and the browser reconnects at once (with
    // Last-Event-ID, so nothing is missed): only a connection that stays down is shown as off.
    clearTimeout(offTimer);
    if (source.readyState === EventSource.CLOSED) {
      status('off');
      api('_sandbox/clock').catch(() => {}); // a lost session goes back to the login form
      return;
    }
    offTimer = setTimeout(() => status(source.readyState === EventSource.OPEN ? 'on' : 'off'), 2000);
  };
  return source;
}
