// Calls: the list (live and ended) and a call's page: its timeline (each step of its XML, each
// answer_url fetch and callback with request and answer), legs, recordings, and the controls of a
// live call (hang up, press digits, say words, transfer, skip a wait, advance the clock).
import { api, root } from '../api.js';
import { act, badge, clockTime, debounce, fields, fill, h, link, outcome, showError, table, update, when } from '../dom.js';
import { deliveryCard } from './deliveries.js';

const PAGE = 20;
const LIVE_POLL_MS = 1000;
const mainId = document.body.dataset.authId;

function duration(call) {
  const seconds = Number(call.clock_seconds || 0);
  return seconds ? `${seconds.toFixed(seconds < 10 ? 1 : 0)} s` : '';
}

function callColumns() {
  return [
    ['Started', (c) => when(c.initiation_time)],
    ['Direction', (c) => c.direction],
    ['From', (c) => c.from],
    ['To', (c) => c.to],
    ['Status', (c) => [badge(c.status), c.live ? [' ', badge('live')] : null]],
    ['Doing', (c) => (c.live ? c.activity : c.hangup_cause_name || '')],
    ['Duration', duration],
    ['Account', (c) => (c.auth_id === mainId ? 'main' : c.auth_id)],
  ];
}

export async function list(container) {
  const form = h(
    'form',
    { class: 'toolbar' },
    h('label', {}, 'Calls', h('select', { name: 'live' }, h('option', { value: '' }, 'all'), h('option', { value: 'true' }, 'live'), h('option', { value: 'false' }, 'ended'))),
    h('label', {}, 'Direction', h('select', { name: 'direction' }, h('option', { value: '' }, 'any'), h('option', { value: 'inbound' }, 'inbound'), h('option', { value: 'outbound' }, 'outbound'))),
    h('label', { class: 'grow' }, 'From', h('input', { name: 'from', placeholder: 'number' })),
    h('label', { class: 'grow' }, 'To', h('input', { name: 'to', placeholder: 'number' })),
  );
  const results = h('div', { id: 'calls' });
  const pager = h('div', { class: 'pager' });
  let offset = 0;
  let anyLive = false;
  container.append(h('h1', {}, 'Calls'), form, results, pager);

  async function refresh() {
    try {
      const page = await api('_sandbox/calls', { query: { ...Object.fromEntries(new FormData(form)), limit: PAGE, offset } });
      anyLive = page.objects.some((c) => c.live);
      update(results, page.objects, () =>
        table(callColumns(), page.objects, {
          empty: 'No calls yet. Calls made through the API, and simulated inbound calls, appear here.',
          href: (c) => `calls/${c.call_uuid}`,
          key: (c) => c.call_uuid,
        }),
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
  // A live call's activity changes without an event of its own: look again while any is live.
  const poll = setInterval(() => anyLive && refresh(), LIVE_POLL_MS * 2);
  return {
    onEvent(event) {
      if (['call', 'api', 'webhook', 'control'].includes(event.kind)) refreshSoon();
    },
    dispose() {
      clearInterval(poll);
    },
  };
}

// -- one call ---------------------------------------------------------------------------------------

const STEP_KEYS_HIDDEN = new Set(['type', 'time', 'event', 'at']);

function stepView(step) {
  const details = Object.entries(step)
    .filter(([key]) => !STEP_KEYS_HIDDEN.has(key))
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : typeof value === 'object' && value ? JSON.stringify(value) : value}`);
  const bad = /failed|invalid|error/.test(step.event);
  return h(
    'li',
    { class: bad ? 'step bad' : 'step', dataset: { event: step.event } },
    h('span', { class: 'when' }, clockTime(step.time)),
    h('span', { class: 'what' }, step.event),
    h('span', { class: 'detail' }, details.join(' · ')),
  );
}

function requestView(entry) {
  const delivery = { ...entry, created: entry.time };
  return h('li', { class: 'request', dataset: { kind: entry.kind } }, h('span', { class: 'when' }, clockTime(entry.time)), deliveryCard(delivery));
}

function speechError(err) {
  // POST /_sandbox/calls/{uuid}/speech comes with the voice engine's speech input: until this
  // sandbox has it, say so rather than showing a bare 404.
  if ((err.status === 404 || err.status === 405) && !/^call not found/.test(err.message)) {
    return `This sandbox has no speech input yet (POST /_sandbox/calls/{uuid}/speech answered ${err.status}: ${err.message}).`;
  }
  return err.message;
}

function controlsFor(uuid, refresh) {
  const out = outcome();
  const call = (path, json) => api(`_sandbox/calls/${uuid}/${path}`, { method: 'POST', json });
  const after = (message) => () => {
    refresh();
    return message;
  };

  const hangup = h('button', { type: 'button', class: 'danger', name: 'hangup' }, 'Hang up');
  hangup.addEventListener('click', () => act(hangup, out, () => call('hangup', { source: 'remote' }), after('Hung up.')));

  const digits = h('input', { name: 'digits', placeholder: '1234#', size: 8, 'aria-label': 'Digits', pattern: '[0-9*#wW]+', required: true });
  const press = h('button', { type: 'submit' }, 'Press');
  const digitsForm = h('form', {}, h('label', {}, 'Digits', digits), press);
  digitsForm.addEventListener('submit', (event) => {
    event.preventDefault();
    act(press, out, () => call('digits', { digits: digits.value }), (r) => {
      refresh();
      return r.taken ? `Pressed ${digits.value}.` : `Pressed ${digits.value} (no GetDigits was waiting).`;
    });
  });

  const words = h('input', { name: 'speech', placeholder: 'yes please', 'aria-label': 'Words' });
  const say = h('button', { type: 'submit' }, 'Say');
  const sayForm = h('form', {}, h('label', {}, 'Say words', words), say);
  sayForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    say.disabled = true;
    try {
      await call('speech', { text: words.value });
      out.set(`Said “${words.value}”.`, true);
      refresh();
    } catch (err) {
      out.set(speechError(err), false);
    } finally {
      say.disabled = false;
    }
  });

  const url = h('input', { name: 'url', type: 'url', placeholder: 'URL of the next XML', 'aria-label': 'Transfer URL', required: true });
  const method = h('select', { name: 'method', 'aria-label': 'Method' }, h('option', {}, 'POST'), h('option', {}, 'GET'));
  const transfer = h('button', { type: 'submit' }, 'Transfer');
  const transferForm = h('form', {}, h('label', { class: 'grow' }, 'Transfer to', url), method, transfer);
  transferForm.addEventListener('submit', (event) => {
    event.preventDefault();
    act(transfer, out, () => call('transfer', { url: url.value, method: method.value }), after('Transferred.'));
  });

  const skip = h('button', { type: 'button', class: 'secondary' }, 'Skip wait');
  skip.title = 'Stop what the call waits for: a ringing hold, a GetDigits, a conference, an endless loop';
  skip.addEventListener('click', () => act(skip, out, () => call('advance', { to: 'answered' }), after('Moved on.')));

  const seconds = h('input', { name: 'seconds', type: 'number', min: '0', step: 'any', value: '5', size: 5, 'aria-label': 'Seconds' });
  const advance = h('button', { type: 'submit', class: 'secondary' }, 'Advance clock');
  const clockForm = h('form', {}, h('label', {}, 'Seconds', seconds), advance);
  clockForm.addEventListener('submit', (event) => {
    event.preventDefault();
    act(advance, out, () => api('_sandbox/clock/advance', { method: 'POST', json: { seconds: Number(seconds.value) } }), after(`Sandbox time moved ${seconds.value} s.`));
  });

  return h(
    'section',
    { class: 'card call-controls', hidden: true },
    h('h2', {}, 'Live call'),
    h('div', { class: 'controls' }, hangup, skip, digitsForm, sayForm, transferForm, clockForm),
    out,
  );
}

function recordingView(recording) {
  const src = `${root}_sandbox/recordings/${recording.recording_id}.${recording.recording_format}`;
  return h(
    'div',
    { class: 'card' },
    fields([
      ['Recording', h('span', { class: 'mono' }, recording.recording_id)],
      ['Duration', `${Number(recording.recording_duration_ms || 0) / 1000} s`],
      ['Format', recording.recording_format],
      ['Added', when(recording.add_time)],
    ]),
    h('audio', { controls: true, preload: 'none', src }),
  );
}

export async function detail(container, uuid) {
  const info = h('div');
  const timeline = h('div');
  const extras = h('div');
  let live = false;
  let refreshSoon = () => {};
  const controls = controlsFor(uuid, () => refreshSoon());
  container.append(h('p', {}, link('calls', '← Calls')), info, controls, timeline, extras);

  async function refresh() {
    let call;
    try {
      call = await api(`_sandbox/calls/${encodeURIComponent(uuid)}`);
    } catch (err) {
      showError(info, err.message, 'Call');
      return;
    }
    live = call.live;
    controls.hidden = !call.live;
    update(info, { ...call, timeline: null, log: null }, () => [
      h('h1', {}, 'Call ', h('span', { class: 'mono' }, call.call_uuid), ' ', badge(call.status), call.live ? [' ', badge('live')] : null),
      h(
        'section',
        { class: 'card call-fields' },
        fields([
          ['Direction', call.direction],
          ['From', call.from],
          ['To', call.to],
          ['Status', call.status],
          ['Doing', call.live ? call.activity : ''],
          ['Waiting for digits', call.waiting_for_digits ? 'yes' : ''],
          ['Conference', call.conference_name ? `${call.conference_name} (member ${call.member_id})` : ''],
          ['Started', when(call.initiation_time)],
          ['Answered', when(call.answer_time)],
          ['Ended', when(call.end_time)],
          ['Duration', duration(call)],
          ['Billed', call.live ? '' : `${call.billed_duration} s, ${call.total_amount} at ${call.total_rate}/min`],
          ['Hangup', call.hangup_cause_name ? `${call.hangup_cause_name} (${call.hangup_cause_code}) by ${call.hangup_source}` : ''],
          ['Request UUID', call.request_uuid],
          ['Account', call.auth_id === mainId ? `main (${call.auth_id})` : call.auth_id],
        ]),
      ),
    ]);
    update(timeline, call.timeline, () => [
      h('h2', {}, 'Timeline'),
      call.timeline.length
        ? h('ol', { class: 'timeline', id: 'timeline' }, call.timeline.map((entry) => (entry.type === 'request' ? requestView(entry) : stepView(entry))))
        : h('p', { class: 'muted' }, 'Nothing yet.'),
    ]);
    update(extras, { legs: call.legs, recorded: call.recorded }, () => [
      h('h2', {}, 'Legs'),
      table(callColumns(), call.legs, { empty: 'No other legs.', href: (c) => `calls/${c.call_uuid}`, key: (c) => c.call_uuid }),
      h('h2', {}, 'Recordings'),
      call.recorded.length ? call.recorded.map(recordingView) : h('p', { class: 'muted' }, 'No recordings.'),
    ]);
  }
  refreshSoon = debounce(refresh, 80);
  await refresh();
  // A call's steps make no event of their own yet: a live call's page looks again every second.
  const poll = setInterval(() => live && refresh(), LIVE_POLL_MS);
  return {
    onEvent(event) {
      if (event.ref === uuid || event.kind === 'call') refreshSoon();
    },
    dispose() {
      clearInterval(poll);
    },
  };
}
