'use strict';
// Shared plumbing for the interop tests: arguments, the npm `smpp` package (or a clean skip),
// temporary directories, free ports, child processes that die with the test, the daemon's
// config, the admin API, and bounded waits. Every wait has a deadline; a global watchdog fails
// the test rather than letting it hang.

const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const SKIP = 77; // ctest SKIP_RETURN_CODE

function loadSmpp() {
  try {
    return require('smpp');
  } catch (e) {
    console.log(
      'SKIP: the npm smpp package is not installed; run `npm ci` in tests/interop ' +
        '(scripts/install-deps.sh does) — ' + e.message);
    process.exit(SKIP);
  }
}

function parseArgs(argv) {
  const out = {};
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    out[key] = argv[i + 1];
  }
  for (const required of ['smppgw', 'data-dir']) {
    if (!out[required]) {
      const me = path.basename(argv[1]);
      console.error(`usage: node ${me} --smppgw BIN [--smsc-sim BIN] --data-dir DIR`);
      process.exit(2);
    }
  }
  // The daemon resolves relative paths from its config file's folder, a temporary directory.
  for (const key of ['smppgw', 'smsc-sim', 'data-dir']) {
    if (out[key]) {
      out[key] = path.resolve(out[key]);
    }
  }
  return out;
}

const children = [];
const tempDirs = [];
const logs = [];

function cleanup() {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      try {
        c.kill('SIGKILL');
      } catch (_) {
        // already gone
      }
    }
  }
  if (process.env.SMPPGW_KEEP_TEST_DIRS !== '1') {
    for (const d of tempDirs) {
      fs.rmSync(d, {recursive: true, force: true});
    }
  }
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => process.exit(1));
}

function tempDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'smppgw-interop-'));
  tempDirs.push(d);
  return d;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const {port} = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Starts a child with stdout/stderr appended to `log`; it is SIGKILLed when the test exits.
function spawn(bin, args, log) {
  logs.push(log);
  const fd = fs.openSync(log, 'a');
  const c = childProcess.spawn(bin, args, {stdio: ['ignore', fd, fd]});
  fs.closeSync(fd);
  children.push(c);
  return c;
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(what, pred, timeoutMs = 20000, stepMs = 25) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await sleep(stepMs);
  }
}

function httpGet(port, urlPath) {
  return new Promise((resolve) => {
    const req = http.get({host: '127.0.0.1', port, path: urlPath, timeout: 2000}, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({status: res.statusCode, body}));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({status: 0, body: ''}));
  });
}

// The example config's demo account (password "demo1234").
const DEMO_HASH = '$y$j9T$0.Ro2GXJ9s/wwRT4ddtfd1$jUyoPQO8FTFA7jOJr/fbH.z3zQS12RdFDnNhKWY1EO7';
const ACCOUNT_NUMBER = '15550001000';

function gatewayConfig({smppPort, adminPort, carrierPort, dir, dataDir, extraToml = ''}) {
  return `[server]
threads = 2
node_id = 3
shutdown_grace = "2s"
receipt_park_timeout = "2s"

[[listeners]]
name = "smpp"
address = "127.0.0.1:${smppPort}"

[[accounts]]
system_id = "demo"
password_hash = "${DEMO_HASH}"
brand = "acme"
default_class = "transactional"
bind_types = ["transmitter", "receiver", "transceiver"]
allowed_networks = ["127.0.0.0/8"]
mo_numbers = ["${ACCOUNT_NUMBER}"]

[[carriers]]
name = "carrier"
address = "127.0.0.1:${carrierPort}"
system_id = "smppgw"
password = "secret"
bind_mode = "trx"
sessions = 1
window = 16
response_timeout = "5s"
reconnect_min = "100ms"
reconnect_max = "400ms"
segmentation = "udh"

[[routes]]
prefix = ""
carriers = ["carrier"]

[store]
path = "${path.join(dir, 'store')}"

[policy.data]
dir = "${dataDir}"

[policy.consent]
transactional_requires_consent = false

[admin]
address = "127.0.0.1:${adminPort}"
token = "interop-admin-token-0123456789"
${extraToml}`;
}

// Writes a config for a carrier on `carrierPort` (plus `extraToml`, appended) and starts the
// daemon; resolves once /readyz says a carrier is bound.
async function startGateway(args, carrierPort, extraToml = '') {
  const dir = tempDir();
  for (let attempt = 0; ; attempt++) {
    const smppPort = await freePort();
    const adminPort = await freePort();
    const config = path.join(dir, 'smppgw.toml');
    const dataDir = args['data-dir'];
    fs.writeFileSync(config,
      gatewayConfig({smppPort, adminPort, carrierPort, dir, dataDir, extraToml}));
    const log = path.join(dir, 'smppgw.log');
    const proc = spawn(args.smppgw, ['run', '--config', config], log);
    try {
      await waitFor('smppgw /readyz', async () => {
        if (proc.exitCode !== null) {
          throw new Error('smppgw exited:\n' + fs.readFileSync(log, 'utf8'));
        }
        return (await httpGet(adminPort, '/readyz')).status === 200;
      });
      return {proc, smppPort, adminPort, log};
    } catch (e) {
      proc.kill('SIGKILL');
      if (attempt < 4 && /in use/.test(fs.readFileSync(log, 'utf8'))) {
        continue; // a parallel test took the port between our check and the bind
      }
      throw e;
    }
  }
}

// Resolves with the response PDU of a request sent on a node-smpp session.
function request(session, command, params = {}) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${command}_resp`)), 15000);
    const sent = session[command](params, (pdu) => {
      clearTimeout(timer);
      resolve(pdu);
    });
    if (sent === false) {
      clearTimeout(timer);
      reject(new Error(`${command}: socket not writable`));
    }
  });
}

function connect(smpp, port) {
  return new Promise((resolve, reject) => {
    const s = smpp.connect({url: `smpp://127.0.0.1:${port}`});
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

function closed(session, timeoutMs = 10000) {
  return new Promise((resolve) => {
    if (session.socket.destroyed) {
      resolve(true);
      return;
    }
    const timer = setTimeout(() => resolve(false), timeoutMs);
    session.socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

// Runs `main`, exits 0 on success and 1 with the reason on failure or after `limitMs`.
function run(main, limitMs = 150000) {
  const watchdog = setTimeout(() => {
    console.error(`FAIL: the test did not finish within ${limitMs / 1000} s`);
    process.exit(1);
  }, limitMs);
  main()
    .then(() => {
      clearTimeout(watchdog);
      console.log('PASS');
      process.exit(0);
    })
    .catch((e) => {
      console.error('FAIL:', e && e.stack ? e.stack : e);
      for (const log of logs) {
        const lines = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n') : [];
        console.error(`--- last lines of ${log}\n${lines.slice(-40).join('\n')}`);
      }
      process.exit(1);
    });
}

module.exports = {
  ACCOUNT_NUMBER,
  assert,
  closed,
  connect,
  freePort,
  httpGet,
  loadSmpp,
  parseArgs,
  request,
  run,
  sleep,
  spawn,
  startGateway,
  tempDir,
  waitFor,
};
