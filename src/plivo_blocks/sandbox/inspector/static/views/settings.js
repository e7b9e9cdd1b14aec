// Settings, limits, faults and the clock: see them and change them.
import { api } from '../api.js';
import { act, fields, fill, h, outcome, showError, table, update, when } from '../dom.js';

const HOLDS = { message_hold_state: ['queued', 'sent'], call_hold_state: ['ringing'] };

function group(name) {
  if (/per_|limit/.test(name)) return 'Limits';
  if (name.startsWith('message')) return 'Messages';
  if (name.startsWith('call')) return 'Calls';
  if (name.startsWith('webhook')) return 'Webhooks';
  return 'Other';
}

function settingInput(name, value) {
  if (HOLDS[name]) {
    return h('select', { name }, h('option', { value: '' }, 'none'), HOLDS[name].map((s) => h('option', { value: s, selected: value === s }, s)));
  }
  if (value !== null && typeof value === 'object') {
    const area = h('textarea', { name, rows: 3, dataset: { type: 'json' } });
    area.value = JSON.stringify(value, null, 1);
    return area;
  }
  if (typeof value === 'boolean') return h('input', { name, type: 'checkbox', checked: value, dataset: { type: 'boolean' } });
  if (typeof value === 'number') return h('input', { name, type: 'number', step: 'any', value: String(value), dataset: { type: 'number' } });
  return h('input', { name, value: value ?? '', placeholder: 'none', dataset: { type: 'text' } });
}

function readInput(input) {
  if (input.dataset.type === 'boolean') return input.checked;
  const raw = input.value.trim();
  if (input.dataset.type === 'json') return raw ? JSON.parse(raw) : {};
  if (raw === '') return null;
  return input.dataset.type === 'number' ? Number(raw) : raw;
}

function settingsForm(settings) {
  let baseline = settings;
  const out = outcome();
  const save = h('button', { type: 'submit' }, 'Save settings');
  const groups = {};
  for (const [name, value] of Object.entries(settings)) (groups[group(name)] ||= []).push([name, value]);
  const form = h(
    'form',
    { class: 'card', id: 'settings' },
    h('h2', {}, 'Settings and limits'),
    ['Messages', 'Calls', 'Webhooks', 'Limits', 'Other']
      .filter((g) => groups[g])
      .map((g) => [h('h3', {}, g), h('div', { class: 'toolbar' }, groups[g].map(([name, value]) => h('label', {}, name, settingInput(name, value))))]),
    save,
    out,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const changes = {};
    try {
      for (const input of form.querySelectorAll('[name]')) {
        const value = readInput(input);
        if (JSON.stringify(value) !== JSON.stringify(baseline[input.name])) changes[input.name] = value;
      }
    } catch (err) {
      out.set(`Not valid JSON: ${err.message}`, false);
      return;
    }
    if (!Object.keys(changes).length) {
      out.set('Nothing changed.', true);
      return;
    }
    act(save, out, () => api('_sandbox/settings', { method: 'PATCH', json: changes }), (r) => {
      baseline = r.settings;
      return `Saved: ${Object.keys(changes).join(', ')}.`;
    });
  });
  return form;
}

function clockFields(clock) {
  return fields([
    ['Mode', clock.mode === 'scaled' ? `scaled ×${clock.scale}` : clock.mode],
    ['Sandbox time', when(clock.now)],
    ['Pending timers', String(clock.pending_timers)],
  ]);
}

/** The clock card; its figures are redrawn by the returned refresh(). */
function clockCard(clock) {
  const out = outcome();
  const figures = h('div', {}, clockFields(clock));
  const refresh = async () => {
    try {
      const now = await api('_sandbox/clock');
      update(figures, now, () => clockFields(now));
    } catch (err) {
      out.set(err.message, false);
    }
  };
  const mode = h('select', { name: 'mode', 'aria-label': 'Clock mode' }, ['real', 'scaled', 'manual'].map((m) => h('option', { value: m, selected: clock.mode === m }, m)));
  const scale = h('input', { name: 'scale', type: 'number', min: '0', step: 'any', value: String(clock.scale), 'aria-label': 'Scale' });
  const apply = h('button', { type: 'submit' }, 'Set clock');
  const modeForm = h('form', {}, h('label', {}, 'Mode', mode), h('label', {}, 'Scale (scaled)', scale), apply);
  modeForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const body = { mode: mode.value };
    if (mode.value === 'scaled') body.scale = Number(scale.value);
    act(apply, out, () => api('_sandbox/clock', { method: 'PUT', json: body }), () => {
      refresh();
      return `Clock is ${mode.value}.`;
    });
  });
  const seconds = h('input', { name: 'seconds', type: 'number', min: '0', step: 'any', value: '10', 'aria-label': 'Seconds' });
  const advance = h('button', { type: 'submit', class: 'secondary' }, 'Advance');
  const advanceForm = h('form', {}, h('label', {}, 'Seconds', seconds), advance);
  advanceForm.addEventListener('submit', (event) => {
    event.preventDefault();
    act(advance, out, () => api('_sandbox/clock/advance', { method: 'POST', json: { seconds: Number(seconds.value) } }), () => {
      refresh();
      return `Moved ${seconds.value} s; everything due has run.`;
    });
  });
  const card = h('section', { class: 'card', id: 'clock-settings' }, h('h2', {}, 'Clock'), figures, h('div', { class: 'controls' }, modeForm, advanceForm), out);
  return { card, refresh };
}

function faultsTable(faults) {
  return table(
    [
      ['Kind', (f) => f.kind],
      ['Left', (f) => f.count],
      ['Status', (f) => f.status ?? ''],
      ['Delay', (f) => (f.delay_seconds ? `${f.delay_seconds} s` : '')],
      ['Methods', (f) => (f.methods || []).join(', ') || 'any'],
      ['Path prefix', (f) => f.path_prefix || 'any'],
    ],
    faults,
    { empty: 'No fault pending.' },
  );
}

/** The faults card; its table is redrawn by the returned refresh(). */
function faultsCard(faults) {
  const out = outcome();
  const pending = h('div', {}, faultsTable(faults));
  const refresh = async () => {
    try {
      const answer = await api('_sandbox/faults');
      update(pending, answer.faults, () => faultsTable(answer.faults));
    } catch (err) {
      out.set(err.message, false);
    }
  };
  const add = h('button', { type: 'submit' }, 'Add fault');
  const form = h(
    'form',
    { class: 'toolbar' },
    h('label', {}, 'Kind', h('select', { name: 'kind' }, ['status', 'delay', 'drop'].map((k) => h('option', { value: k }, k)))),
    h('label', {}, 'Requests', h('input', { name: 'count', type: 'number', min: '1', value: '1' })),
    h('label', {}, 'Status', h('input', { name: 'status', type: 'number', min: '400', max: '599', placeholder: '500' })),
    h('label', {}, 'Delay (s)', h('input', { name: 'delay_seconds', type: 'number', min: '0', step: 'any', placeholder: '0' })),
    h('label', {}, 'Methods', h('input', { name: 'methods', placeholder: 'POST,GET', size: 9 })),
    h('label', { class: 'grow' }, 'Path prefix (after /v1/Account/{id}/)', h('input', { name: 'path_prefix', placeholder: 'Message/' })),
    add,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const v = Object.fromEntries(new FormData(form));
    const body = { kind: v.kind, count: Number(v.count || 1), path_prefix: v.path_prefix };
    if (v.status) body.status = Number(v.status);
    if (v.delay_seconds) body.delay_seconds = Number(v.delay_seconds);
    if (v.methods) body.methods = v.methods.split(',').map((m) => m.trim()).filter(Boolean);
    act(add, out, () => api('_sandbox/faults', { method: 'POST', json: body }), () => {
      refresh();
      return 'Fault queued.';
    });
  });
  const clear = h('button', { type: 'button', class: 'secondary' }, 'Clear faults');
  clear.addEventListener('click', () =>
    act(clear, out, () => api('_sandbox/faults', { method: 'DELETE' }), () => {
      refresh();
      return 'No fault pending.';
    }),
  );
  const card = h(
    'section',
    { class: 'card', id: 'faults' },
    h('h2', {}, 'Faults'),
    h('p', { class: 'muted' }, 'The next matching /v1 requests fail: an error status, a delay, or a dropped connection.'),
    pending,
    form,
    clear,
    out,
  );
  return { card, refresh };
}

export async function view(container) {
  const holder = h('div');
  container.append(h('h1', {}, 'Settings, limits, faults and clock'), holder);
  let cards = null;

  async function build() {
    let clock;
    let settings;
    let faults;
    try {
      [clock, { settings }, { faults }] = await Promise.all([api('_sandbox/clock'), api('_sandbox/settings'), api('_sandbox/faults')]);
    } catch (err) {
      showError(holder, err.message);
      return;
    }
    const out = outcome();
    const reset = h('button', { type: 'button', class: 'danger' }, 'Reset the sandbox');
    reset.addEventListener('click', () => {
      if (!window.confirm('Wipe every message, call, number, application and bin (the main account stays)?')) return;
      act(reset, out, () => api('_sandbox/reset', { method: 'POST' }), () => {
        build();
        return 'The sandbox is fresh again.';
      });
    });
    cards = { clock: clockCard(clock), faults: faultsCard(faults) };
    fill(holder, cards.clock.card, settingsForm(settings), cards.faults.card, h('section', { class: 'card' }, h('h2', {}, 'Reset'), reset, out));
  }
  await build();
  return {
    onEvent(event) {
      if (!cards) return;
      if (event.kind === 'clock' || (event.kind === 'control' && /clock/.test(event.summary))) cards.clock.refresh();
      if (event.kind === 'control' && /faults/.test(event.summary)) cards.faults.refresh();
      if (event.kind === 'api') cards.faults.refresh(); // a request may have used up a fault
    },
  };
}
