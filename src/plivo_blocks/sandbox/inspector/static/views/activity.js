// Activity: the sandbox's events as they happen, the same lines its console prints.
import { clockTime, h } from '../dom.js';
import { recent } from '../live.js';

const SHOWN = 300;

function line(event) {
  return h(
    'li',
    { dataset: { kind: event.kind } },
    h('span', { class: 'when' }, clockTime(event.at)),
    h('span', { class: 'what' }, event.kind),
    h('span', { class: 'detail mono' }, event.summary),
  );
}

export async function view(container) {
  const feed = h('ol', { class: 'timeline', id: 'activity' });
  const kinds = h('select', { name: 'kind', 'aria-label': 'Kind' }, ['', 'api', 'control', 'message', 'call', 'webhook', 'clock'].map((k) => h('option', { value: k }, k || 'all kinds')));
  const matches = (event) => !kinds.value || event.kind === kinds.value;
  const redraw = () => feed.replaceChildren(...recent.filter(matches).slice(-SHOWN).reverse().map(line));
  kinds.addEventListener('change', redraw);
  container.append(
    h('h1', {}, 'Activity'),
    h('p', { class: 'muted' }, 'What happens in the sandbox, newest first, live (the lines its console prints; sandbox time).'),
    h('div', { class: 'toolbar' }, h('label', {}, 'Show', kinds)),
    feed,
  );
  redraw();
  return {
    onEvent(event) {
      if (!matches(event)) return;
      feed.prepend(line(event));
      while (feed.children.length > SHOWN) feed.lastChild.remove();
    },
  };
}
