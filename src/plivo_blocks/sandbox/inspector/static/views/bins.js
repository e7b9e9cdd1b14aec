// XML bins: Plivo XML the sandbox serves to calls (point an answer_url at a bin's URL).
import { api } from '../api.js';
import { act, h, outcome, showError, table, when } from '../dom.js';

const STARTER = '<Response>\n  <Speak>Hello from the sandbox</Speak>\n  <Wait length="60"/>\n</Response>\n';

export async function view(container) {
  const out = outcome();
  const name = h('input', { name: 'name', required: true, pattern: '[A-Za-z0-9][A-Za-z0-9._-]{0,63}', placeholder: 'greeting', 'aria-label': 'Bin name' });
  const xml = h('textarea', { name: 'xml', spellcheck: 'false', 'aria-label': 'Bin XML' });
  xml.value = STARTER;
  const save = h('button', { type: 'submit' }, 'Save bin');
  const remove = h('button', { type: 'button', class: 'danger' }, 'Delete');
  const urlLine = h('p', { class: 'mono bin-url' });
  const editor = h(
    'form',
    { class: 'card bin-editor' },
    h('div', { class: 'toolbar' }, h('label', { class: 'grow' }, 'Name', name)),
    h('label', { class: 'block' }, 'Plivo XML (validated as Plivo validates answer XML)', xml),
    h('div', { class: 'toolbar' }, save, remove),
    urlLine,
    out,
  );
  const listing = h('div', { id: 'bins' });
  container.append(
    h('h1', {}, 'XML bins'),
    h('p', { class: 'muted' }, 'A bin is Plivo XML the sandbox serves at its URL (GET or POST, no auth): use it as an answer_url, action or transfer URL.'),
    editor,
    h('h2', {}, 'Saved bins'),
    listing,
  );

  async function refresh() {
    try {
      const { bins } = await api('_sandbox/bins');
      listing.replaceChildren(
        table(
          [
            ['Name', (b) => h('a', { href: '#', onclick: (e) => { e.preventDefault(); open(b); } }, b.name)],
            ['URL', (b) => h('span', { class: 'mono' }, b.url)],
            ['Size', (b) => `${b.bytes} B`],
            ['Updated', (b) => when(b.updated)],
          ],
          bins,
          { empty: 'No bins yet.', key: (b) => b.name },
        ),
      );
      return bins;
    } catch (err) {
      showError(listing, err.message);
      return [];
    }
  }

  function open(bin) {
    name.value = bin.name;
    xml.value = bin.xml;
    urlLine.textContent = `Served at ${bin.url}`;
    out.set('');
  }

  editor.addEventListener('submit', (event) => {
    event.preventDefault();
    act(save, out, () => api(`_sandbox/bins/${encodeURIComponent(name.value)}`, { method: 'PUT', xml: xml.value }), (bin) => {
      urlLine.textContent = `Served at ${bin.url}`;
      refresh();
      return `Saved ${bin.name}.`;
    });
  });
  remove.addEventListener('click', () =>
    act(remove, out, () => api(`_sandbox/bins/${encodeURIComponent(name.value)}`, { method: 'DELETE' }), () => {
      urlLine.textContent = '';
      refresh();
      return `Deleted ${name.value}.`;
    }),
  );
  await refresh();
  return {};
}
