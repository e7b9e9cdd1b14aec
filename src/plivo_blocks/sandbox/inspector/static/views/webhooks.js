// Webhooks: every callback and fetch the sandbox made, filterable, with one-click redelivery.
import { api } from '../api.js';
import { debounce, fill, h, showError, update } from '../dom.js';
import { deliveryCard } from './deliveries.js';

const PAGE = 20;
const KINDS = [
  'message_status', 'message_inbound', 'ring', 'answer', 'fallback', 'hangup', 'action', 'redirect',
  'transfer', 'conference_callback', 'recording_callback',
];

export async function view(container) {
  const form = h(
    'form',
    { class: 'toolbar' },
    h('label', {}, 'Kind', h('select', { name: 'kind' }, h('option', { value: '' }, 'any'), KINDS.map((k) => h('option', { value: k }, k)))),
    h('label', {}, 'Status', h('select', { name: 'status' }, ['', 'pending', 'delivered', 'failed'].map((s) => h('option', { value: s }, s || 'any')))),
    h('label', { class: 'grow' }, 'URL contains', h('input', { name: 'url', placeholder: 'example.com/status' })),
    h('label', { class: 'grow' }, 'About (message or call uuid)', h('input', { name: 'ref' })),
  );
  const results = h('div', { id: 'webhooks' });
  const pager = h('div', { class: 'pager' });
  let offset = 0;
  container.append(h('h1', {}, 'Webhooks'), form, results, pager);

  async function refresh() {
    let page;
    try {
      page = await api('_sandbox/webhooks', { query: { ...Object.fromEntries(new FormData(form)), limit: PAGE, offset } });
    } catch (err) {
      showError(results, err.message);
      return;
    }
    update(results, page.objects, () =>
      page.objects.length
        ? page.objects.map((d) => deliveryCard(d, { onRedelivered: refreshSoon }))
        : h('p', { class: 'muted' }, 'No deliveries match.'),
    );
    const total = page.meta.total_count;
    fill(pager, 
      h('span', { class: 'muted' }, total ? `${offset + 1}–${offset + page.objects.length} of ${total}` : ''),
      offset > 0 ? h('button', { type: 'button', class: 'secondary', onclick: () => { offset = Math.max(0, offset - PAGE); refresh(); } }, 'Newer') : null,
      offset + PAGE < total ? h('button', { type: 'button', class: 'secondary', onclick: () => { offset += PAGE; refresh(); } }, 'Older') : null,
    );
  }
  const refreshSoon = debounce(refresh, 150);
  form.addEventListener('input', () => {
    offset = 0;
    refreshSoon();
  });
  form.addEventListener('submit', (event) => event.preventDefault());
  await refresh();
  return {
    onEvent(event) {
      if (event.kind === 'webhook' || event.kind === 'message' || event.kind === 'call') refreshSoon();
    },
  };
}
