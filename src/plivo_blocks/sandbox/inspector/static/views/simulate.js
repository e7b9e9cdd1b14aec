// Simulate the outside world: an SMS or a call to one of the sandbox's rented numbers, delivered
// to the number's application (message_url, answer_url) as Plivo would.
import { api } from '../api.js';
import { fill, h, link, outcome } from '../dom.js';

async function rentedNumbers() {
  try {
    const { numbers } = await api('_sandbox/resources');
    return numbers;
  } catch {
    return [];
  }
}

function numberInput(name, numbers) {
  const list = `${name}-numbers`;
  return [
    h('input', { name, list, required: true, placeholder: numbers[0] ? numbers[0].number : '14155550101', value: numbers[0] ? numbers[0].number : '' }),
    h('datalist', { id: list }, numbers.map((n) => h('option', { value: n.number }, n.alias || n.number))),
  ];
}

function form(title, fieldsList, submitLabel, send) {
  const out = outcome();
  const button = h('button', { type: 'submit' }, submitLabel);
  const el = h('form', { class: 'card' }, h('h2', {}, title), h('div', { class: 'toolbar' }, fieldsList), button, out);
  el.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      fill(out, await send(Object.fromEntries(new FormData(el))));
      out.className = 'done';
    } catch (err) {
      out.className = 'error';
      out.textContent = err.message;
    } finally {
      button.disabled = false;
    }
  });
  return el;
}

export async function view(container) {
  const numbers = await rentedNumbers();
  const sms = form(
    'Inbound SMS',
    [
      h('label', {}, 'From', h('input', { name: 'from', required: true, value: '14155550199' })),
      h('label', {}, 'To (a rented number)', ...numberInput('to', numbers)),
      h('label', { class: 'grow' }, 'Text', h('input', { name: 'text', value: 'Hello from the inspector' })),
    ],
    'Send SMS',
    async (values) => {
      const sent = await api('_sandbox/messages/inbound', { method: 'POST', json: values });
      return [
        'Received as ',
        link(`messages/${sent.message_uuid}`, sent.message_uuid),
        sent.delivered_to ? `; delivered to ${sent.delivered_to}.` : "; the number's application has no message_url.",
      ];
    },
  );
  sms.id = 'inbound-sms';
  const call = form(
    'Inbound call',
    [
      h('label', {}, 'From', h('input', { name: 'from', required: true, value: '14155550199' })),
      h('label', {}, 'To (a rented number)', ...numberInput('call-to', numbers)),
    ],
    'Call',
    async (values) => {
      const made = await api('_sandbox/calls/inbound', { method: 'POST', json: { from: values.from, to: values['call-to'] } });
      return ['Call ', link(`calls/${made.call_uuid}`, made.call_uuid), ' is ringing its application.'];
    },
  );
  call.id = 'inbound-call';
  container.append(
    h('h1', {}, 'Simulate'),
    numbers.length
      ? h('p', { class: 'muted' }, 'Traffic from the outside world to the numbers this sandbox rents.')
      : h('p', { class: 'notice' }, 'No number is rented yet: buy one through the API (POST PhoneNumber/{number}/) first.'),
    sms,
    call,
  );
  return {};
}
