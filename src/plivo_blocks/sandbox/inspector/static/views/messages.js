// Messages: the inbox (search, filters, live) and a message's page (segments, encoding, price,
// state timeline, and every callback delivered for it).
import { api } from '../api.js';
import { act, badge, debounce, fields, fill, h, link, outcome, shorten, showError, table, update, when } from '../dom.js';
import { deliveryCard } from './deliveries.js';

const STATES = ['queued', 'sent', 'delivered', 'undelivered', 'failed', 'rejected', 'read', 'received'];
const FINAL_STATES = ['delivered', 'failed', 'undelivered', 'rejected', 'read'];
const PAGE = 20;
const mainId = document.body.dataset.authId;

function select(name, label, options, blank = 'any') {
  return h(
    'label',
    {},
    label,
    h('select', { name }, h('option', { value: '' }, blank), options.map(([value, text]) => h('option', { value }, text))),
  );
}

async function accountOptions() {
  try {
    const { accounts } = await api('_sandbox/resources');
    return accounts.map((a) => [a.auth_id, a.auth_id === mainId ? `main (${a.auth_id})` : `${a.name || 'subaccount'} (${a.auth_id})`]);
  } catch {
    return [];
  }
}

export async function list(container) {
  const form = h(
    'form',
    { class: 'toolbar', role: 'search' },
    h('label', { class: 'grow' }, 'Search', h('input', { type: 'search', name: 'q', placeholder: 'number or text' })),
    select('direction', 'Direction', [['inbound', 'inbound'], ['outbound', 'outbound']]),
    select('state', 'State', STATES.map((s) => [s, s])),
    select('auth_id', 'Account', await accountOptions(), 'all'),
  );
  const results = h('div', { id: 'messages' });
  const pager = h('div', { class: 'pager' });
  let offset = 0;
  container.append(h('h1', {}, 'Messages'), form, results, pager);

  async function refresh() {
    const query = Object.fromEntries(new FormData(form));
    try {
      const page = await api('_sandbox/messages', { query: { ...query, limit: PAGE, offset } });
      results.replaceChildren(
        table(
          [
            ['Time', (m) => when(m.message_time)],
            ['Direction', (m) => m.message_direction],
            ['From', (m) => m.from_number],
            ['To', (m) => m.to_number],
            ['Text', (m) => h('span', { class: 'text' }, shorten(m.text, 70))],
            ['State', (m) => badge(m.message_state)],
            ['Units', (m) => m.units],
            ['Account', (m) => (m.auth_id === mainId ? 'main' : m.auth_id)],
          ],
          page.objects,
          {
            empty: 'No messages match. Messages sent through the API appear here as they are made.',
            href: (m) => `messages/${m.message_uuid}`,
            key: (m) => m.message_uuid,
          },
        ),
      );
      const total = page.meta.total_count;
      fill(pager, 
        h('span', { class: 'muted' }, total ? `${offset + 1}–${offset + page.objects.length} of ${total}` : ''),
        offset > 0 ? h('button', { type: 'button', class: 'secondary', onclick: () => { offset = Math.max(0, offset - PAGE); refresh(); } }, 'Newer') : null,
        offset + PAGE < total ? h('button', { type: 'button', class: 'secondary', onclick: () => { offset += PAGE; refresh(); } }, 'Older') : null,
      );
    } catch (err) {
      showError(results, err.message);
    }
  }
  const refreshSoon = debounce(refresh, 100);
  form.addEventListener('input', () => {
    offset = 0;
    refreshSoon();
  });
  form.addEventListener('submit', (event) => event.preventDefault());
  await refresh();
  return {
    onEvent(event) {
      if (event.kind === 'message') refreshSoon();
    },
  };
}

export async function detail(container, uuid) {
  const info = h('div');
  const callbacks = h('div');
  const out = outcome();
  const stateSelect = h('select', { name: 'state', 'aria-label': 'Final state' }, FINAL_STATES.map((s) => h('option', { value: s }, s)));
  const setState = h('button', { type: 'submit' }, 'Set state');
  const stateForm = h('form', { class: 'controls' }, stateSelect, setState);
  stateForm.addEventListener('submit', (event) => {
    event.preventDefault();
    act(setState, out, () => api(`_sandbox/messages/${uuid}/state`, { method: 'POST', json: { state: stateSelect.value } }), 'State set; its callback is on its way.');
  });
  const controls = h('section', { hidden: true }, h('h2', {}, 'Report a final state'), stateForm, out);
  container.append(h('p', {}, link('messages', '← Messages')), info, controls, callbacks);

  async function refresh() {
    let message;
    let deliveries;
    try {
      [message, deliveries] = await Promise.all([
        api(`_sandbox/messages/${encodeURIComponent(uuid)}`),
        api('_sandbox/webhooks', { query: { ref: uuid, limit: 20 } }),
      ]);
    } catch (err) {
      showError(info, err.message, 'Message');
      return;
    }
    controls.hidden = message.message_direction !== 'outbound';
    update(info, message, () => [
      h('h1', {}, 'Message ', h('span', { class: 'mono' }, message.message_uuid), ' ', badge(message.message_state)),
      h(
        'div',
        { class: 'split' },
        h(
          'section',
          { class: 'card' },
          fields([
            ['Direction', message.message_direction],
            ['From', message.from_number],
            ['To', message.to_number],
            ['Type', message.message_type],
            ['Encoding', message.encoding],
            ['Segments', message.segments],
            ['Units', message.units],
            ['Rate', message.total_rate],
            ['Price', message.total_amount],
            ['Error', message.error_code && message.error_code !== '000' ? `${message.error_code} ${message.error_message || ''}` : ''],
            ['Account', message.auth_id === mainId ? `main (${message.auth_id})` : message.auth_id],
            ['Callback URL', message.url ? `${message.method || 'POST'} ${message.url}` : 'none'],
            ['Held', message.held ? 'yes' : ''],
          ]),
        ),
        h(
          'section',
          {},
          h('h2', {}, 'Text'),
          h('pre', { class: 'message-text' }, message.text || ''),
          h('h2', {}, 'State timeline'),
          h(
            'ol',
            { class: 'timeline' },
            message.timeline.map((step) => h('li', {}, h('span', { class: 'when' }, when(step.time)), badge(step.state))),
          ),
        ),
      ),
    ]);
    update(callbacks, deliveries, () => [
      h('h2', {}, `Callbacks (${deliveries.meta.total_count})`),
      deliveries.objects.length
        ? deliveries.objects.map((d) => deliveryCard(d, { onRedelivered: refreshSoon }))
        : h('p', { class: 'muted' }, message.url ? 'None delivered yet.' : 'This message has no callback URL.'),
    ]);
  }
  const refreshSoon = debounce(refresh, 100);
  await refresh();
  return {
    onEvent(event) {
      if (event.ref === uuid) refreshSoon();
    },
  };
}
