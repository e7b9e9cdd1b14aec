// Conferences: every live room and its members, with mute, deaf, kick and hang up.
import { api } from '../api.js';
import { act, badge, debounce, fields, h, link, outcome, showError, table, update } from '../dom.js';

const POLL_MS = 1000;
const mainId = document.body.dataset.authId;

function memberActions(room, member, out, refresh) {
  const button = (action, label, kind = 'secondary') => {
    const el = h('button', { type: 'button', class: kind, dataset: { action } }, label);
    el.addEventListener('click', () =>
      act(el, out, () => api(`_sandbox/conferences/${room.conference_uuid}/members/${member.member_id}/${action}`, { method: 'POST' }), () => {
        refresh();
        return `${label}: member ${member.member_id} of ${room.conference_name}.`;
      }),
    );
    return el;
  };
  return h(
    'div',
    { class: 'controls' },
    member.muted ? button('unmute', 'Unmute') : button('mute', 'Mute'),
    member.deaf ? button('undeaf', 'Let hear') : button('deaf', 'Deafen'),
    button('kick', 'Kick', 'danger'),
    button('hangup', 'Hang up', 'danger'),
  );
}

export async function view(container) {
  const rooms = h('div', { id: 'conferences' });
  const out = outcome();
  container.append(h('h1', {}, 'Conferences'), out, rooms);
  let refreshSoon = () => {};

  async function refresh() {
    let answer;
    try {
      answer = await api('_sandbox/conferences');
    } catch (err) {
      showError(rooms, err.message);
      return;
    }
    const live = answer.conferences.map((room) => ({ ...room, run_time: undefined }));
    update(rooms, live, () =>
      answer.conferences.length
        ? answer.conferences.map((room) =>
            h(
              'section',
              { class: 'card', dataset: { conference: room.conference_name } },
              h('h2', {}, room.conference_name, ' ', badge('live')),
              fields([
                ['UUID', h('span', { class: 'mono' }, room.conference_uuid)],
                ['Account', room.auth_id === mainId ? 'main' : room.auth_id],
                ['Recording', room.recording || ''],
              ]),
              table(
                [
                  ['Member', (m) => m.member_id],
                  ['Call', (m) => link(`calls/${m.call_uuid}`, `${m.from} → ${m.to}`)],
                  ['Muted', (m) => (m.muted ? 'yes' : 'no')],
                  ['Deaf', (m) => (m.deaf ? 'yes' : 'no')],
                  ['', (m) => memberActions(room, m, out, () => refreshSoon())],
                ],
                room.members,
                { empty: 'No members.', key: (m) => m.member_id },
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'No live conference. A call that runs <Conference> joins one.'),
    );
  }
  refreshSoon = debounce(refresh, 80);
  await refresh();
  // Joining and leaving make no event of their own: the page looks again every second.
  const poll = setInterval(refresh, POLL_MS);
  return {
    onEvent(event) {
      if (['call', 'conference', 'webhook'].includes(event.kind)) refreshSoon();
    },
    dispose() {
      clearInterval(poll);
    },
  };
}
