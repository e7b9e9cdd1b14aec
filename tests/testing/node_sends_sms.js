'use strict';
/*
 * Node code against the plivo_sandbox_server fixture: the official Node SDK (npm `plivo`, from
 * tests/compat/node, found through NODE_PATH) sends one SMS and prints what the SDK answered.
 *
 *     SANDBOX_URL=http://127.0.0.1:PORT PLIVO_AUTH_ID=MA... PLIVO_AUTH_TOKEN=... node node_sends_sms.js SRC DST TEXT
 *
 * The SDK is pointed at the sandbox with the README's redirect (see "Official SDKs").
 */
const plivo = require('plivo');

const SANDBOX = process.env.SANDBOX_URL;
const axios = require(require.resolve('axios', { paths: [require.resolve('plivo')] }));
const toSandbox = (config) => {
  config.url = config.url.replace(/^https:\/\/[a-z.]*plivo\.com/, SANDBOX);
  return config;
};
axios.interceptors.request.use(toSandbox);
const createAxios = axios.create;
axios.create = (...args) => {
  const instance = createAxios(...args);
  instance.interceptors.request.use(toSandbox);
  return instance;
};

const [src, dst, text] = process.argv.slice(2);
new plivo.Client().messages.create(src, dst, text).then(
  (answer) => process.stderr.write(JSON.stringify({ messageUuid: answer.messageUuid }) + '\n'),
  (error) => { process.stderr.write(`failed: ${error}\n`); process.exit(1); },
);
