// Account state, to read: accounts, numbers, applications, endpoints and recordings of every
// account (never a token or a password: the server leaves them out).
import { api, root } from '../api.js';
import { h, link, table, when } from '../dom.js';

const mainId = document.body.dataset.authId;
const owner = (row) => (row.auth_id === mainId ? 'main' : row.auth_id);
const appId = (uri) => (uri ? uri.split('/').filter(Boolean).pop() : '');

export async function view(container) {
  container.append(h('h1', {}, 'Account'));
  let state;
  try {
    state = await api('_sandbox/resources');
  } catch (err) {
    container.append(h('p', { class: 'error' }, err.message));
    return {};
  }
  container.append(
    h('h2', {}, 'Accounts'),
    table(
      [
        ['Auth ID', (a) => h('span', { class: 'mono' }, a.auth_id)],
        ['Name', (a) => a.name],
        ['Kind', (a) => (a.parent_auth_id ? 'subaccount' : 'main')],
        ['Enabled', (a) => (a.enabled === false ? 'no' : 'yes')],
        ['Credits', (a) => (a.parent_auth_id ? '' : a.cash_credits)],
        ['Created', (a) => a.created],
      ],
      state.accounts,
      { key: (a) => a.auth_id },
    ),
    h('h2', {}, `Numbers (${state.numbers.length})`),
    table(
      [
        ['Number', (n) => n.number],
        ['Type', (n) => n.number_type],
        ['Alias', (n) => n.alias],
        ['Application', (n) => appId(n.application)],
        ['SMS', (n) => (n.sms_enabled ? 'yes' : 'no')],
        ['Voice', (n) => (n.voice_enabled ? 'yes' : 'no')],
        ['Account', owner],
      ],
      state.numbers,
      { empty: 'No rented numbers.', key: (n) => n.number },
    ),
    h('h2', {}, `Applications (${state.applications.length})`),
    table(
      [
        ['App ID', (a) => a.app_id],
        ['Name', (a) => a.app_name],
        ['Answer URL', (a) => h('span', { class: 'mono' }, a.answer_url || '')],
        ['Message URL', (a) => h('span', { class: 'mono' }, a.message_url || '')],
        ['Hangup URL', (a) => h('span', { class: 'mono' }, a.hangup_url || '')],
        ['Account', owner],
      ],
      state.applications,
      { empty: 'No applications.', key: (a) => a.app_id },
    ),
    h('h2', {}, `Endpoints (${state.endpoints.length})`),
    table(
      [
        ['Endpoint', (e) => e.endpoint_id],
        ['Username', (e) => e.username],
        ['Alias', (e) => e.alias],
        ['SIP URI', (e) => h('span', { class: 'mono' }, e.sip_uri || '')],
        ['Application', (e) => appId(e.application)],
        ['Account', owner],
      ],
      state.endpoints,
      { empty: 'No endpoints.', key: (e) => e.endpoint_id },
    ),
    h('h2', {}, `Recordings (${state.recordings.length})`),
    table(
      [
        ['Added', (r) => when(r.add_time)],
        ['Call', (r) => (r.call_uuid ? link(`calls/${r.call_uuid}`, r.call_uuid) : r.conference_name || '')],
        ['Duration', (r) => `${Number(r.recording_duration_ms || 0) / 1000} s`],
        ['Listen', (r) => h('audio', { controls: true, preload: 'none', src: `${root}_sandbox/recordings/${r.recording_id}.${r.recording_format}` })],
        ['Account', owner],
      ],
      state.recordings,
      { empty: 'No recordings.', key: (r) => r.recording_id },
    ),
  );
  return {};
}
