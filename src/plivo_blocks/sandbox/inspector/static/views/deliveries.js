// A webhook delivery (or fetch) as the inspector shows it: what was sent, each try with its
// signature headers, answer, latency and error, and a one-click redelivery.
import { api } from '../api.js';
import { act, badge, h, keyValues, link, outcome, shorten, when } from '../dom.js';

function tryView(attempt, index) {
  const result = attempt.status !== null && attempt.status !== undefined ? `HTTP ${attempt.status}` : attempt.error || 'no answer';
  return h(
    'div',
    { class: 'try' },
    h('div', {}, h('b', {}, `Try ${index + 1}`), ` · ${when(attempt.at)} · ${result} · ${attempt.latency_ms} ms`),
    attempt.error && attempt.status ? h('div', { class: 'error' }, attempt.error) : null,
    h('h3', {}, 'Signature headers sent'),
    keyValues(attempt.request_headers),
    h('h3', {}, 'Answer'),
    attempt.response_excerpt ? h('pre', {}, attempt.response_excerpt) : h('p', { class: 'muted' }, 'no body'),
  );
}

/** A collapsible card for one delivery; `open` shows it unfolded. */
export function deliveryCard(delivery, { open = false, onRedelivered } = {}) {
  const out = outcome();
  const redeliver = h('button', { class: 'secondary', type: 'button' }, 'Redeliver');
  redeliver.addEventListener('click', () =>
    act(redeliver, out, () => api(`_sandbox/webhooks/${delivery.delivery_id}/redeliver`, { method: 'POST' }), (r) => {
      if (onRedelivered) onRedelivered(r);
      return `Queued again as ${r.delivery_id}.`;
    }),
  );
  const tries = delivery.tries || [];
  const summary = h(
    'summary',
    {},
    badge(delivery.status),
    ' ',
    h('b', {}, delivery.kind),
    ` ${delivery.method} `,
    h('span', { class: 'mono' }, shorten(delivery.url, 120)),
    h('span', { class: 'muted' }, ` · ${when(delivery.created)} · ${tries.length} tr${tries.length === 1 ? 'y' : 'ies'}`),
  );
  return h(
    'details',
    { class: 'delivery', open: open || null, dataset: { key: delivery.delivery_id, kind: delivery.kind } },
    summary,
    delivery.ref
      ? h('p', {}, 'About ', link(`${delivery.kind.startsWith('message') ? 'messages' : 'calls'}/${delivery.ref}`, delivery.ref))
      : null,
    h('h3', {}, 'Request'),
    h('p', { class: 'mono' }, `${delivery.method} ${delivery.url}`),
    keyValues(delivery.params),
    tries.length ? tries.map(tryView) : h('p', { class: 'muted' }, 'Not tried yet.'),
    h('p', {}, redeliver),
    out,
  );
}
