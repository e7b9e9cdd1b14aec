// The inspector's shell: routes paths below /_sandbox/ui/ to views, keeps the header's live badge
// and clock up to date, and hands live events to the view on screen.
import { api, base } from './api.js';
import { debounce } from './dom.js';
import * as live from './live.js';
import * as account from './views/account.js';
import * as activity from './views/activity.js';
import * as bins from './views/bins.js';
import * as calls from './views/calls.js';
import * as conferences from './views/conferences.js';
import * as messages from './views/messages.js';
import * as settings from './views/settings.js';
import * as simulate from './views/simulate.js';
import * as webhooks from './views/webhooks.js';

// [pattern of the path below base, view, section highlighted in the menu]
const ROUTES = [
  [/^(?:messages)?$/, messages.list, 'messages'],
  [/^messages\/([^/]+)$/, messages.detail, 'messages'],
  [/^calls$/, calls.list, 'calls'],
  [/^calls\/([^/]+)$/, calls.detail, 'calls'],
  [/^conferences$/, conferences.view, 'conferences'],
  [/^webhooks$/, webhooks.view, 'webhooks'],
  [/^bins$/, bins.view, 'bins'],
  [/^simulate$/, simulate.view, 'simulate'],
  [/^account$/, account.view, 'account'],
  [/^settings$/, settings.view, 'settings'],
  [/^activity$/, activity.view, 'activity'],
];

const container = document.getElementById('view');
let current = null;
let generation = 0;

function sectionPath() {
  const path = decodeURIComponent(location.pathname);
  const trimmed = base.replace(/\/$/, '');
  const below = path.startsWith(base) ? path.slice(base.length) : path === trimmed ? '' : path;
  return below.replace(/\/+$/, '');
}

async function render() {
  const mine = ++generation;
  if (current && current.dispose) current.dispose();
  current = null;
  const path = sectionPath();
  const route = ROUTES.find(([pattern]) => pattern.test(path));
  for (const a of document.querySelectorAll('nav a[data-section]')) {
    a.classList.toggle('current', Boolean(route) && a.dataset.section === route[2]);
  }
  container.replaceChildren();
  if (!route) {
    container.textContent = `Nothing here: ${path}`;
    return;
  }
  const [pattern, view] = route;
  const params = path.match(pattern).slice(1).map(decodeURIComponent);
  const controller = (await view(container, ...params)) || {};
  if (mine !== generation) {
    if (controller.dispose) controller.dispose();
    return;
  }
  current = controller;
}

export function navigate(path) {
  const url = path.startsWith('/') ? path : base + path;
  if (url !== location.pathname + location.search) history.pushState({}, '', url);
  render();
}

document.addEventListener('click', (event) => {
  const a = event.target.closest('a[data-nav]');
  if (!a || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('inspector:navigate', (event) => navigate(event.detail));
window.addEventListener('popstate', render);

// -- header: live badge and sandbox clock -----------------------------------------------------

const badge = document.getElementById('live');
const LABELS = { on: 'live', off: 'offline', connecting: 'connecting' };
function showLive(state) {
  badge.className = `live ${state}`;
  badge.textContent = LABELS[state] || state;
}

const clockEl = document.getElementById('clock');
let clockState = null;
async function refreshClock() {
  try {
    const clock = await api('_sandbox/clock');
    clockState = { ...clock, fetched: performance.now() };
    showClock();
  } catch {
    /* shown as stale until the next try */
  }
}
function showClock() {
  if (!clockState) return;
  const { mode, scale, epoch, fetched } = clockState;
  const rate = mode === 'manual' ? 0 : mode === 'scaled' ? scale : 1;
  const now = epoch + ((performance.now() - fetched) / 1000) * rate;
  const label = mode === 'scaled' ? `scaled ×${scale}` : mode;
  clockEl.textContent = `${label} · ${new Date(now * 1000).toISOString().replace('T', ' ').slice(0, 19)}`;
  clockEl.title = 'Sandbox time (UTC)';
}
const refreshClockSoon = debounce(refreshClock, 150);

live.onEvent((event) => {
  if (event.kind === 'clock' || event.kind === 'control') refreshClockSoon();
  if (current && current.onEvent) current.onEvent(event);
});

showLive('connecting');
live.start(showLive);
refreshClock();
setInterval(showClock, 1000);
setInterval(refreshClock, 15000);
render();
