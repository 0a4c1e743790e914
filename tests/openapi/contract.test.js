'use strict';
// The admin API against its description: every operation of etc/openapi.yaml is called on the
// real daemon (a carrier played by smsc-sim, an upstream bind by the npm smpp package), and every
// answer must be a status the operation lists, with a body that validates against that status's
// schema (OpenAPI 3.0: nullable, enums, additionalProperties, date-time). At the end every
// operation must have been answered with a success status at least once.
//
//   node contract.test.js --smppgw BIN --smsc-sim BIN --data-dir etc/data

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const h = require('../interop/harness');

const SKIP = 77;
let Ajv;
let addFormats;
let openapiCore;
try {
  Ajv = require('ajv');
  addFormats = require('ajv-formats');
  openapiCore = require('@redocly/openapi-core');
} catch (e) {
  console.log('SKIP: run `npm ci` in tests/openapi (scripts/install-deps.sh does) — ' + e.message);
  process.exit(SKIP);
}

const smpp = h.loadSmpp();
const args = h.parseArgs(process.argv);
const {assert} = h;
const SPEC = path.resolve(__dirname, '../../etc/openapi.yaml');
const TOKEN = 'interop-admin-token-0123456789';

// The spec with every $ref resolved.
async function loadSpec() {
  const config = await openapiCore.loadConfig({});
  const {bundle, problems} = await openapiCore.bundle({ref: SPEC, config, dereference: true});
  assert.equal(problems.filter((p) => p.severity === 'error').length, 0, 'spec bundles cleanly');
  return bundle.parsed;
}

// "/v1/optouts/{brand}/{msisdn}" → a regex over request paths (percent-decoding not needed:
// the tests use plain values).
function templateRegex(template) {
  const body = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
  return new RegExp(`^${body}$`);
}

class contract {
  constructor(spec) {
    this.spec = spec;
    this.ajv = new Ajv({strict: false, allErrors: true});
    addFormats(this.ajv);
    this.routes = [];
    for (const [template, item] of Object.entries(spec.paths)) {
      for (const method of ['get', 'put', 'post', 'delete']) {
        if (item[method]) {
          this.routes.push({template, method, op: item[method], re: templateRegex(template)});
        }
      }
    }
    this.succeeded = new Set();
    this.checked = 0;
  }

  route(method, urlPath) {
    const p = urlPath.split('?')[0];
    // Literal paths win over templates (/v1/optouts/import vs /v1/optouts/{brand}/{msisdn}).
    const matches = this.routes.filter((r) => r.method === method && r.re.test(p));
    matches.sort((a, b) => (a.template.match(/\{/g) || []).length -
                           (b.template.match(/\{/g) || []).length);
    assert.ok(matches.length > 0, `${method.toUpperCase()} ${p} is not in the spec`);
    return matches[0];
  }

  check(method, urlPath, res) {
    const r = this.route(method, urlPath);
    const where = `${r.op.operationId} (${method.toUpperCase()} ${urlPath}) → ${res.status}`;
    const doc = r.op.responses[String(res.status)] || r.op.responses.default;
    assert.ok(doc, `${where}: status not listed in the spec; body: ${res.body}`);
    const content = doc.content || {};
    if (content['application/json']) {
      assert.match(res.headers['content-type'] || '', /^application\/json/, `${where}: type`);
      const body = JSON.parse(res.body);
      const schema = content['application/json'].schema;
      if (schema) {
        const validate = this.ajv.compile(schema);
        assert.ok(validate(body),
          `${where}: body does not match the schema: ${this.ajv.errorsText(validate.errors)}\n` +
          `body: ${res.body.slice(0, 2000)}`);
      }
    } else if (content['text/plain']) {
      assert.match(res.headers['content-type'] || '', /^text\/plain/, `${where}: type`);
    }
    if (res.status < 300) {
      this.succeeded.add(r.op.operationId);
    }
    this.checked++;
    return res.body.length > 0 && /json/.test(res.headers['content-type'] || '') ?
      JSON.parse(res.body) : res.body;
  }

  missing() {
    return this.routes.map((r) => r.op.operationId).filter((id) => !this.succeeded.has(id));
  }
}

function call(port, method, urlPath, {body, contentType = 'application/json', token = TOKEN} = {}) {
  return new Promise((resolve, reject) => {
    const headers = {};
    if (token) {
      headers.authorization = `Bearer ${token}`;
    }
    if (body !== undefined) {
      headers['content-type'] = contentType;
      headers['content-length'] = Buffer.byteLength(body);
    }
    const req = http.request({host: '127.0.0.1', port, method, path: urlPath, headers,
                              timeout: 30000}, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({status: res.statusCode, headers: res.headers, body: text}));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: timeout`)));
    req.on('error', (e) => {
      // A 413 closes the connection while we are still writing: the answer came first.
      if (e.code === 'EPIPE' || e.code === 'ECONNRESET') {
        resolve({status: 0, headers: {}, body: ''});
      } else {
        reject(e);
      }
    });
    if (body !== undefined) {
      req.write(body);
    }
    req.end();
  });
}

async function startSim() {
  const dir = h.tempDir();
  const portFile = path.join(dir, 'port');
  h.spawn(args['smsc-sim'],
    ['--port', '0', '--port-file', portFile, '--receipt-delay', '20ms', '--threads', '1'],
    path.join(dir, 'smsc-sim.log'));
  await h.waitFor('smsc-sim port file',
    () => fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8').trim() !== '');
  return Number(fs.readFileSync(portFile, 'utf8').trim());
}

// A second carrier (the npm smpp package as an SMSC) that only delivers: an ambiguous STOP
// places a review hold, a receipt for an id nobody knows is kept as unmatched. `deliver`
// resolves with the daemon's deliver_sm_resp.
function startInboundCarrier() {
  const state = {session: null};
  const server = smpp.createServer((session) => {
    session.on('error', () => {});
    const onBind = (pdu) => {
      session.send(pdu.response({system_id: 'INBOUND'}));
      state.session = session;
    };
    session.on('bind_transceiver', onBind);
    session.on('bind_transmitter', onBind);
    session.on('bind_receiver', onBind);
    session.on('enquire_link', (pdu) => session.send(pdu.response()));
    session.on('unbind', (pdu) => {
      session.send(pdu.response());
      session.close();
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      port: server.address().port,
      bound: () => state.session !== null,
      deliver: (params) => h.request(state.session, 'deliver_sm', params),
    }));
  });
}

h.run(async () => {
  assert.ok(args['smsc-sim'], '--smsc-sim is required');
  const c = new contract(await loadSpec());
  const simPort = await startSim();
  const inbound = await startInboundCarrier();
  // Routed nowhere: it only sends MOs and receipts.
  const gw = await h.startGateway(args, simPort, `
[[carriers]]
name = "inbound"
address = "127.0.0.1:${inbound.port}"
system_id = "smppgw"
password = "secret"
bind_mode = "trx"
reconnect_min = "100ms"
reconnect_max = "400ms"
`);
  const port = gw.adminPort;
  const api = async (method, urlPath, opts) =>
    c.check(method.toLowerCase(), urlPath, await call(port, method, urlPath, opts));

  // Open endpoints.
  await api('GET', '/healthz', {token: null});
  await api('GET', '/readyz', {token: null});
  await api('GET', '/metrics', {token: null});

  // An upstream bind, one accepted message and one refused by an opt-out.
  const s = await h.connect(smpp, gw.smppPort);
  s.on('error', () => {});
  s.on('deliver_sm', (pdu) => s.send(pdu.response()));  // MOs forwarded to the account
  const bound = await h.request(s, 'bind_transceiver', {system_id: 'demo', password: 'demo1234'});
  assert.equal(bound.command_status, 0, 'bind');
  const sent = await h.request(s, 'submit_sm',
    {source_addr: '15550001000', destination_addr: '12125550100', short_message: 'contract'});
  assert.equal(sent.command_status, 0, 'submit');
  const binds = await api('GET', '/v1/binds');
  assert.equal(binds.binds.length, 1, 'one bind listed');

  // Opt-outs: create, replace, read, lift, and the errors the spec lists.
  const optout = '/v1/optouts/acme/12125550111';
  await api('PUT', optout, {body: JSON.stringify({keyword: 'STOP'})});
  await api('PUT', optout, {body: JSON.stringify({reference: 'ticket 7'})});
  const state = await api('GET', optout);
  assert.equal(state.opted_out, true);
  assert.equal(state.all_brands, null, 'no all-brands opt-out: null');
  const refused = await h.request(s, 'submit_sm',
    {source_addr: '15550001000', destination_addr: '12125550111', short_message: 'blocked'});
  assert.equal(refused.command_status, 0x410, 'opted out');
  await api('DELETE', optout, {body: JSON.stringify({reference: 'ticket 8'})});
  await api('DELETE', optout);
  await api('GET', '/v1/optouts/acme/not-a-number');
  await api('GET', optout, {token: 'wrong-token-0123456789'});
  await api('PUT', optout, {body: 'keyword=STOP', contentType: 'text/plain'});
  // A body over 8 MiB: 413. The daemon answers and closes while the client may still be
  // writing; when the write loses that race (EPIPE before the answer is read) try again.
  let big = {status: 0};
  for (let attempt = 0; attempt < 5 && big.status === 0; attempt++) {
    big = await call(port, 'PUT', optout, {body: `{"keyword":"${'x'.repeat(9 << 20)}"}`});
  }
  c.check('put', optout, big);
  assert.equal(big.status, 413, 'a 9 MiB body');
  const rows = '{"brand":"acme","msisdn":"12125550112","when":"2026-01-02T03:04:05Z"}\n';
  await api('POST', '/v1/optouts/import', {body: rows, contentType: 'application/x-ndjson'});
  const dry = await api('POST', '/v1/optouts/import?dry_run=true',
    {body: rows, contentType: 'application/x-ndjson'});
  assert.equal(dry.valid, 1, 'a dry run reports valid rows');
  await api('POST', '/v1/optouts/import?mode=strict',
    {body: '{"brand":"acme"}\n', contentType: 'application/x-ndjson'});

  // Consents: a grant, the per-class and all-class reads (times without a value are null).
  const consent = '/v1/consents/acme/12125550113';
  await api('PUT', `${consent}/promotional`, {body: JSON.stringify({
    type: 'express_written', proof: 'I agree to receive marketing texts from Acme (v3)',
    proof_url: 'https://acme.example/signup', granted: '2026-01-02T03:04:05Z'})});
  const all = await api('GET', `${consent}?history=true`);
  const promo = all.consents.find((x) => x.class === 'promotional');
  assert.equal(promo.current.revoked, null, 'no revocation: null');
  assert.equal(promo.current.double_opt_in, null, 'no double opt-in: null');
  await api('GET', `${consent}/promotional?history=true`);
  await api('GET', `${consent}/transactional`);
  await api('PUT', `${consent}/promotional`, {body: JSON.stringify({colour: 'blue'})});
  const csv = 'brand,msisdn,class,granted\nacme,12125550114,transactional,2026-01-02T03:04:05Z\n';
  await api('POST', '/v1/consents/import', {body: csv, contentType: 'text/csv'});
  await api('POST', '/v1/consents/import?dry_run=true', {body: csv, contentType: 'text/csv'});

  // Messages and audit.
  await api('GET', `/v1/messages/${sent.message_id}`);
  await api('GET', '/v1/messages/99999999999');
  await api('GET', '/v1/messages/abc');
  const audit = await api('GET', '/v1/audit?msisdn=12125550111');
  assert.ok(audit.records.length >= 1, 'the refused submit is audited');
  await api('GET', '/v1/audit?limit=0');

  // Traffic statistics: the schema with every grouping; exact figures are the daemon tests' job.
  const stats = await api('GET', '/v1/stats?group_by=account,brand,campaign');
  assert.ok(Array.isArray(stats.groups), 'groups listed');
  await api('GET', '/v1/stats?group_by=&campaign=none&account=demo');
  await api('GET', '/v1/stats?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z');
  await api('GET', '/v1/stats?group_by=number');

  // Review holds: an ambiguous STOP places one; list, read, release (audited), and the errors.
  await h.waitFor('the inbound carrier bound', () => inbound.bound());
  const mo = await inbound.deliver({
    source_addr_ton: 1, source_addr_npi: 1, source_addr: '12125550120',
    dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '15550001000',
    short_message: "Don't stop the deals!"});
  assert.equal(mo.command_status, 0, 'the ambiguous STOP is acknowledged');
  const holds = await api('GET', '/v1/holds');
  assert.equal(holds.count, 1, 'one hold');
  const hold = '/v1/holds/acme/12125550120';
  assert.equal((await api('GET', hold)).hold.msisdn, '12125550120');
  await api('GET', '/v1/holds/acme/12125550121');
  await api('GET', '/v1/holds?limit=0');
  await api('DELETE', hold, {body: JSON.stringify({released_by: 'contract test'})});
  await api('DELETE', hold);
  await api('DELETE', '/v1/holds/*/12125550120');

  // Unmatched receipts: one for an id nobody knows is answered once kept (after the park
  // timeout), listed with its stat and err, and dropped.
  const kept = await inbound.deliver({
    source_addr_ton: 1, source_addr_npi: 1, source_addr: '12125550122',
    dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '15550001000', esm_class: 0x04,
    short_message: 'id:CONTRACT-404 sub:001 dlvrd:000 submit date:2601020304 ' +
      'done date:2601020305 stat:UNDELIV err:012 text:',
    receipted_message_id: 'CONTRACT-404', message_state: 5});
  assert.equal(kept.command_status, 0, 'the unknown receipt is acknowledged once kept');
  const unmatched = await api('GET', '/v1/receipts/unmatched');
  assert.equal(unmatched.count, 1, 'one unmatched receipt');
  assert.equal(unmatched.receipts[0].carrier_message_id, 'CONTRACT-404');
  assert.equal(unmatched.receipts[0].stat, 'UNDELIV');
  assert.equal(unmatched.receipts[0].err, '012');
  const entry = `/v1/receipts/unmatched/${unmatched.receipts[0].entry}`;
  await api('DELETE', entry);
  await api('DELETE', entry);
  await api('DELETE', '/v1/receipts/unmatched/abc');
  await api('GET', '/v1/receipts/unmatched?limit=20000');

  // Cluster status: a single node says so (the cluster tests cover a real cluster).
  const cluster = await api('GET', '/v1/cluster');
  assert.equal(cluster.enabled, false, 'a single node is no cluster');

  // Carriers, reload, checkpoint.
  await api('GET', '/v1/carriers');
  await api('POST', '/v1/carriers/carrier/pause');
  await api('POST', '/v1/carriers/carrier/resume');
  await api('POST', '/v1/carriers/nowhere/pause');
  await api('POST', '/v1/reload');
  const backup = path.join(h.tempDir(), 'checkpoint');
  await api('POST', '/v1/checkpoint', {body: JSON.stringify({dir: backup})});
  await api('POST', '/v1/checkpoint', {body: JSON.stringify({dir: backup})});
  await api('POST', '/v1/checkpoint', {body: JSON.stringify({dir: 'relative/path'})});

  await h.request(s, 'unbind');
  assert.deepEqual(c.missing(), [], 'every operation answered with a success at least once');
  console.log(`${c.checked} responses of ${c.routes.length} operations match etc/openapi.yaml`);
});
