'use strict';
/*
 * The official Plivo Node.js SDK (npm `plivo`, pinned in package.json), unmodified, driving a
 * plivo-blocks sandbox. Run by tests/compat/test_node_sdk.py:
 *
 *     SANDBOX_URL=http://127.0.0.1:8100 PLIVO_AUTH_ID=MA... PLIVO_AUTH_TOKEN=... node compat.js report.json
 *
 * Each scenario drives one area through the SDK and returns what the SDK handed back (and, for
 * refused requests, the SDK error's status and message). The report, written to the file named by
 * the first argument, is {scenario: {ok: true, data} | {ok: false, error}}; pytest asserts on it in
 * detail. The report goes to a file because the SDK itself prints to stdout (applications.create).
 *
 * Time: every "let time pass / let the calls settle" step goes through settle() below, and nothing
 * else waits; calls are kept alive by answering them with a <Conference>.
 */

const plivo = require('plivo');

const SANDBOX = process.env.SANDBOX_URL;
const AUTH_ID = process.env.PLIVO_AUTH_ID;
const AUTH_TOKEN = process.env.PLIVO_AUTH_TOKEN;

// README: Node SDK redirect (start) -- the README's "Official SDKs" section shows exactly these lines.
// The Node SDK sends voice requests (applications, endpoints, calls, conferences, recordings) to
// https://api.plivo.com whatever its `url` option says, and Lookup to https://lookup.plivo.com.
// Send every request it makes to the sandbox instead, through the axios it uses:
const axios = require(require.resolve('axios', { paths: [require.resolve('plivo')] }));
const toSandbox = (config) => {
  config.url = config.url.replace(/^https:\/\/[a-z.]*plivo\.com/, SANDBOX);
  return config;
};
axios.interceptors.request.use(toSandbox); // requests made with axios itself
const createAxios = axios.create;
axios.create = (...args) => { // voice requests: a new axios instance per request
  const instance = createAxios(...args);
  instance.interceptors.request.use(toSandbox);
  return instance;
};
const client = new plivo.Client(); // credentials from PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN
// README: Node SDK redirect (end)

// -- helpers -----------------------------------------------------------------------------------

const CONTROL_AUTH = 'Basic ' + Buffer.from(`${AUTH_ID}:${AUTH_TOKEN}`).toString('base64');

/** The sandbox's control API (/_sandbox/...), as the main account. */
async function control(method, path, body) {
  const response = await fetch(`${SANDBOX}/_sandbox/${path}`, {
    method,
    headers: { Authorization: CONTROL_AUTH, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`control ${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/**
 * Let `seconds` of sandbox time pass (the sandbox runs on its manual clock) and wait until calls and
 * callbacks are idle again. The one place this script lets time pass.
 */
async function settle(seconds = 1) {
  await control('POST', 'clock/advance', { seconds });
}

/** An answer_url the sandbox serves itself: it answers the given Plivo XML. */
function answerXml(xml) {
  return `${SANDBOX}/_sandbox/xml?xml=${encodeURIComponent(xml)}`;
}

const conferenceXml = (room) => answerXml(`<Response><Conference>${room}</Conference></Response>`);

/** The SDK's error for a request the sandbox refused; fails if it was not refused. */
async function refused(promise) {
  let result;
  try {
    result = await promise;
  } catch (error) {
    return { status: error.status, message: error.message };
  }
  throw new Error(`expected a refusal, got ${JSON.stringify(result)}`);
}

/** A plain copy of an SDK result (drops the SDK's client references and functions). */
function plain(value) {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

/** A list the SDK resolved: its objects and its `meta`. */
function listed(objects) {
  return { objects: plain(Array.from(objects)), meta: plain(objects.meta) };
}

/** Rent a US number with voice and SMS (the first one the search offers). */
async function rentNumber() {
  const offered = await client.numbers.search('US', { services: 'voice,sms' });
  const number = offered[0].number;
  await client.numbers.buy(number);
  return number;
}

/** The uuid of the live call to `to` (calls are found by destination: makeCall gives a request_uuid). */
async function liveCallTo(to) {
  const calls = await client.calls.listLiveCalls({ toNumber: to });
  if (calls.length !== 1) throw new Error(`expected one live call to ${to}, got ${calls.length}`);
  return calls[0].callUuid;
}

// -- scenarios -----------------------------------------------------------------------------------

const scenarios = {
  async account() {
    const before = plain(await client.accounts.get());
    const updated = plain(
      await client.accounts.update({ name: 'Ada Lovelace', city: 'London', address: "12 St James's Square" }),
    );
    const after = plain(await client.accounts.get());
    return { before, updated, after };
  },

  async subaccounts() {
    const made = plain(await client.subaccounts.create('Wayne Enterprises', true));
    const fetched = plain(await client.subaccounts.get(made.authId));
    const updated = plain(await client.subaccounts.update(made.authId, 'Wayne Corp', false));
    const refetched = plain(await client.subaccounts.get(made.authId));
    const second = plain(await client.subaccounts.create('Stark Industries'));
    const third = plain(await client.subaccounts.create('Acme'));
    const page = listed(await client.subaccounts.list({ limit: 2, offset: 0 }));
    const all = listed(await client.subaccounts.list());
    // The subaccount's own credentials, with the same redirect.
    const own = new plivo.Client(made.authId, made.authToken);
    const ownAccount = plain(await own.accounts.get());
    const deleted = await client.subaccounts.delete(third.authId, true);
    const afterDelete = await refused(client.subaccounts.get(third.authId));
    return { made, fetched, updated, refetched, second, third, page, all, ownAccount, deleted, afterDelete };
  },

  async applications() {
    const made = plain(
      await client.applications.create('compat app', {
        answerUrl: 'https://example.com/answer',
        answerMethod: 'GET',
        hangupUrl: 'https://example.com/hangup',
        messageUrl: 'https://example.com/message',
      }),
    );
    const fetched = plain(await client.applications.get(made.appId));
    const updated = plain(
      await client.applications.update(made.appId, { answerUrl: 'https://example.com/answer-2' }),
    );
    const refetched = plain(await client.applications.get(made.appId));
    const other = plain(await client.applications.create('compat other'));
    const page = listed(await client.applications.list({ limit: 1 }));
    const all = listed(await client.applications.list());
    const deleted = await client.applications.delete(other.appId);
    const afterDelete = await refused(client.applications.get(other.appId));
    return { made, fetched, updated, refetched, other, page, all, deleted, afterDelete };
  },

  async endpoints() {
    const app = await client.applications.create('compat endpoint app');
    const made = plain(await client.endpoints.create('alice', 'S3cret-pass', 'Alice', app.appId));
    const fetched = plain(await client.endpoints.get(made.endpointId));
    const updated = plain(await client.endpoints.update(made.endpointId, { alias: 'Alice Liddell' }));
    const refetched = plain(await client.endpoints.get(made.endpointId));
    const all = listed(await client.endpoints.list());
    const deleted = await client.endpoints.delete(made.endpointId);
    const afterDelete = await refused(client.endpoints.get(made.endpointId));
    return { appId: app.appId, made, fetched, updated, refetched, all, deleted, afterDelete };
  },

  async numbers() {
    const app = await client.applications.create('compat number app');
    const offered = listed(await client.numbers.search('US', { type: 'local', pattern: '212', limit: 3 }));
    const number = offered.objects[0].number;
    const bought = plain(await client.numbers.buy(number, app.appId));
    const fetched = plain(await client.numbers.get(number));
    const updated = plain(await client.numbers.update(number, { alias: 'front desk' }));
    const refetched = plain(await client.numbers.get(number));
    const matching = listed(await client.numbers.list({ numberStartswith: number.slice(0, 4) }));
    const byAlias = listed(await client.numbers.list({ alias: 'front desk' }));
    const none = listed(await client.numbers.list({ numberStartswith: '1999' }));
    const notForSale = await refused(client.numbers.buy('19999999999'));
    const unrented = await client.numbers.unrent(number);
    const afterUnrent = await refused(client.numbers.get(number));
    return {
      appId: app.appId, number, offered, bought, fetched, updated, refetched, matching, byAlias, none,
      notForSale, unrented, afterUnrent,
    };
  },

  async pricing() {
    const us = plain(await client.pricings.get('US'));
    const gb = plain(await client.pricings.get('GB'));
    const unknown = await refused(client.pricings.get('ZZ'));
    return { us, gb, unknown };
  },

  async messages() {
    const src = await rentNumber();
    const one = plain(await client.messages.create(src, '14155550101', 'Hello from Node'));
    const two = plain(await client.messages.create({ src, dst: '14155550102<14155550103', text: 'Two at once' }));
    await settle(5);
    const fetched = plain(await client.messages.get(one.messageUuid[0]));
    const page = listed(await client.messages.list({ messageDirection: 'outbound', limit: 2 }));
    const all = listed(await client.messages.list());
    const delivered = listed(
      await client.messages.list({ messageState: 'delivered', messageTimeGreaterThan: '2000-01-01 00:00:00' }),
    );
    const inbound = listed(await client.messages.list({ messageDirection: 'inbound' }));
    const unknown = await refused(client.messages.get('00000000-0000-0000-0000-000000000000'));
    return { src, one, two, fetched, page, all, delivered, inbound, unknown };
  },

  async messageRules() {
    const src = await rentNumber();
    // Plivo's sender rules: a number the account does not rent, and alphanumeric senders to the US.
    const unrented = await refused(client.messages.create('14155550100', '14155550104', 'not my number'));
    const longAlphanumeric = await refused(client.messages.create('SixteenCharsLong', '14155550104', 'too long'));
    const alphanumericToUs = await refused(client.messages.create('MyBrand', '14155550104', 'not to the US'));
    const alphanumericToUk = plain(await client.messages.create('MyBrand', '447700900104', 'hello UK'));
    // Plivo cleans a formatted destination, and answers before the message is sent.
    const formatted = plain(await client.messages.create(src, '+1 (415) 555-0104', 'clean me'));
    const queued = plain(await client.messages.get(formatted.messageUuid[0]));
    await settle(3);
    const delivered = plain(await client.messages.get(formatted.messageUuid[0]));
    const mms = plain(
      await client.messages.create({
        src, dst: '14155550105', text: 'a picture', type: 'mms', media_urls: ['https://cdn.test/cat.gif'],
      }),
    );
    const mmsMessage = await client.messages.get(mms.messageUuid[0]);
    const media = plain(await client.messages.listMedia(mms.messageUuid[0]));
    const powerpack = await refused(client.messages.create({ powerpackUUID: 'd35f2e82', dst: '14155550106', text: 'x' }));
    return {
      src, unrented, longAlphanumeric, alphanumericToUs, alphanumericToUk, formatted, queued, delivered, mms,
      mmsMessage: plain(mmsMessage), media, powerpack,
    };
  },

  async limits() {
    await settle(5); // an empty 5-second window
    const statuses = [];
    for (let n = 0; n < 300; n += 1) {
      statuses.push((await client.accounts.get()).resourceUri ? 200 : 0);
    }
    // The 301st within the same 5 s of sandbox time: the SDK fails, and Plivo's answer says when to retry.
    const sdkRefusal = await refused(client.accounts.get());
    const raw = await fetch(`${SANDBOX}/v1/Account/${AUTH_ID}/`, { headers: { Authorization: CONTROL_AUTH } });
    const rawRefusal = { status: raw.status, retryAfter: raw.headers.get('retry-after'), body: await raw.json() };
    await settle(5);
    const afterWindow = plain(await client.accounts.get());
    // Two calls per second: the third made in the same second waits in Plivo's queue.
    const from = await rentNumber();
    const destinations = ['14155550151', '14155550152', '14155550153'];
    const made = [];
    for (const to of destinations) {
      made.push(plain(await client.calls.create(from, to, conferenceXml('compat-cps'))));
    }
    await settle(0);
    const queuedNow = listed(await client.calls.listQueuedCalls());
    const liveNow = listed(await client.calls.listLiveCalls());
    const queuedCall = plain(await client.calls.getQueuedCall(queuedNow.objects[0].callUuid));
    await settle(1);
    const queuedLater = listed(await client.calls.listQueuedCalls());
    const third = await liveCallTo(destinations[2]);
    for (const to of destinations) {
      await client.calls.hangup(await liveCallTo(to));
    }
    await settle(1);
    return {
      statuses, sdkRefusal, rawRefusal, afterWindow, made, queuedNow, liveNow, queuedCall, queuedLater, third,
    };
  },

  async calls() {
    const from = await rentNumber();
    const to = '14155550111';
    const made = plain(await client.calls.create(from, to, conferenceXml('compat-call'), { answerMethod: 'GET' }));
    await settle(2);
    const uuid = await liveCallTo(to);
    const live = listed(await client.calls.listLiveCalls());
    const outboundLive = listed(await client.calls.listLiveCalls({ callDirection: 'outbound' }));
    const inboundLive = listed(await client.calls.listLiveCalls({ callDirection: 'inbound' }));
    const liveCall = plain(await client.calls.getLiveCall(uuid));
    const speak = plain(await client.calls.speakText(uuid, 'Hello from Node', { voice: 'MAN' }));
    const stopSpeak = plain(await client.calls.stopSpeakingText(uuid));
    const play = plain(await client.calls.playMusic(uuid, 'https://example.com/hold.mp3'));
    const stopPlay = plain(await client.calls.stopPlayingMusic(uuid));
    // sendDigits plays tones to the leg; the caller's own keys come through the control API.
    const digits = plain(await client.calls.sendDigits(uuid, '1234'));
    const pressed = await control('POST', `calls/${uuid}/digits`, { digits: '56' });
    const record = plain(await client.calls.record(uuid, { fileFormat: 'wav' }));
    await settle(3);
    const stopRecord = plain(await client.calls.stopRecording(uuid));
    const transfer = plain(
      await client.calls.transfer(uuid, { legs: 'aleg', alegUrl: conferenceXml('compat-transfer'), alegMethod: 'GET' }),
    );
    await settle(1);
    const transferredTo = plain(await client.conferences.get('compat-transfer'));
    const hungUp = await client.calls.hangup(uuid);
    await settle(1);
    const cdr = plain(await client.calls.get(uuid));
    const cdrs = listed(await client.calls.list({ callDirection: 'outbound', toNumber: to, limit: 5 }));
    const allCdrs = listed(await client.calls.list());
    const liveAfter = await refused(client.calls.getLiveCall(uuid));
    const speakAfter = await refused(client.calls.speakText(uuid, 'too late'));
    return {
      from, to, uuid, made, live, outboundLive, inboundLive, liveCall, speak, stopSpeak, play, stopPlay, digits,
      pressed, record, stopRecord, transfer, transferredTo, hungUp, cdr, cdrs, allCdrs, liveAfter, speakAfter,
    };
  },

  async queuedCalls() {
    const from = await rentNumber();
    const to = '14155550121';
    await client.calls.create(from, to, conferenceXml('compat-queue'));
    await settle(2);
    const uuid = await liveCallTo(to);
    const queued = listed(await client.calls.listQueuedCalls());
    const notQueued = await refused(client.calls.getQueuedCall(uuid));
    const answeredCancel = await refused(client.calls.cancel((await client.calls.getLiveCall(uuid)).requestUuid));
    // A call that still rings can be cancelled by its request_uuid (new calls ring until released).
    await control('POST', 'calls/hold', { state: 'ringing' });
    let ringing, ringingUuid, ringingCall, cancelled, cancelledLive;
    try {
      ringing = plain(await client.calls.create(from, '14155550122', conferenceXml('compat-queue')));
      await settle(1);
      ringingUuid = await liveCallTo('14155550122');
      ringingCall = plain(await client.calls.getLiveCall(ringingUuid));
      cancelled = await client.calls.cancel(ringing.requestUuid);
      await settle(1);
      cancelledLive = await refused(client.calls.getLiveCall(ringingUuid));
    } finally {
      await control('DELETE', 'calls/hold');
    }
    await client.calls.hangup(uuid);
    await settle(1);
    return {
      from, to, uuid, queued, notQueued, answeredCancel, ringing, ringingUuid, ringingCall, cancelled, cancelledLive,
    };
  },

  async conferences() {
    const from = await rentNumber();
    const room = 'compat-room';
    for (const to of ['14155550131', '14155550132', '14155550133']) {
      await client.calls.create(from, to, conferenceXml(room));
    }
    // Plivo starts 2 calls a second (the third waits 1 s), and each phone rings 2 s before answering.
    await settle(4);
    const rooms = plain(await client.conferences.list());
    const joined = plain(await client.conferences.get(room));
    const byTo = Object.fromEntries(joined.members.map((m) => [m.to, m.memberId]));
    const first = byTo['14155550131'];
    const second = byTo['14155550132'];
    const mute = plain(await client.conferences.muteMember(room, first));
    const deaf = plain(await client.conferences.deafMember(room, first));
    const mutedDeaf = plain(await client.conferences.get(room));
    const unmute = plain(await client.conferences.unmuteMember(room, first));
    const undeaf = plain(await client.conferences.undeafMember(room, first));
    const restored = plain(await client.conferences.get(room));
    const play = plain(await client.conferences.playAudioToMember(room, first, 'https://example.com/tune.mp3'));
    const stopPlay = plain(await client.conferences.stopPlayingAudioToMember(room, first));
    const speak = plain(await client.conferences.speakTextToMember(room, first, 'Welcome', {}));
    const stopSpeak = plain(await client.conferences.stopSpeakingTextToMember(room, first));
    const record = plain(await client.conferences.record(room, { fileFormat: 'mp3' }));
    await settle(3);
    const stopRecord = plain(await client.conferences.stopRecording(room));
    const kick = plain(await client.conferences.kickMember(room, first));
    await settle(1);
    const afterKick = plain(await client.conferences.get(room));
    const hangupMember = plain(await client.conferences.hangupMember(room, second));
    await settle(1);
    const afterHangup = plain(await client.conferences.get(room));
    const unknownMember = await refused(client.conferences.muteMember(room, '999'));
    const ended = await client.conferences.hangup(room);
    await settle(1);
    const afterEnd = await refused(client.conferences.get(room));
    await client.calls.create(from, '14155550134', conferenceXml('compat-room-2'));
    await settle(2);
    const roomsBefore = plain(await client.conferences.list());
    const hangupAll = plain(await client.conferences.hangupAll());
    await settle(1);
    const roomsAfter = plain(await client.conferences.list());
    return {
      from, rooms, joined, mute, deaf, mutedDeaf, unmute, undeaf, restored, play, stopPlay, speak, stopSpeak,
      record, stopRecord, kick, afterKick, hangupMember, afterHangup, unknownMember, ended, afterEnd,
      roomsBefore, hangupAll, roomsAfter,
    };
  },

  async recordings() {
    const from = await rentNumber();
    const to = '14155550141';
    await client.calls.create(from, to, conferenceXml('compat-recorded'));
    await settle(2);
    const uuid = await liveCallTo(to);
    const started = [];
    for (const fileFormat of ['mp3', 'wav']) {
      started.push(plain(await client.calls.record(uuid, { fileFormat })));
      await settle(2);
      await client.calls.stopRecording(uuid);
      await settle(1);
    }
    await client.calls.hangup(uuid);
    await settle(1);
    const ofCall = listed(await client.recordings.list({ callUuid: uuid }));
    const page = listed(await client.recordings.list({ callUuid: uuid, limit: 1 }));
    const since = listed(await client.recordings.list({ addTimeGreaterThan: '2000-01-01 00:00:00' }));
    const future = listed(await client.recordings.list({ addTimeGreaterThan: '2999-01-01 00:00:00' }));
    const fetched = plain(await client.recordings.get(started[0].recordingId));
    const deleted = await client.recordings.delete(started[0].recordingId);
    const afterDelete = await refused(client.recordings.get(started[0].recordingId));
    const remaining = listed(await client.recordings.list({ callUuid: uuid }));
    return { uuid, started, ofCall, page, since, future, fetched, deleted, afterDelete, remaining };
  },

  async notSimulated() {
    return {
      lookup: await refused(client.lookup.get('14155550100')),
      powerpacks: await refused(client.powerpacks.list()),
      media: await refused(client.media.list()),
      multiPartyCalls: await refused(client.multiPartyCalls.list()),
      brands: await refused(client.brand.list()),
      verifySessions: await refused(client.verify_session.list()),
    };
  },
};

async function main() {
  const reportPath = process.argv[2];
  if (!reportPath || !SANDBOX || !AUTH_ID || !AUTH_TOKEN) {
    throw new Error('usage: SANDBOX_URL=... PLIVO_AUTH_ID=... PLIVO_AUTH_TOKEN=... node compat.js REPORT.json');
  }
  const report = {};
  for (const name of Object.keys(scenarios)) {
    try {
      report[name] = { ok: true, data: await scenarios[name]() };
    } catch (error) {
      const detail = error instanceof Error ? error : new Error(String(error));
      report[name] = {
        ok: false,
        error: { status: detail.status, message: detail.message, stack: detail.stack },
      };
    }
  }
  require('fs').writeFileSync(reportPath, JSON.stringify(report, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
