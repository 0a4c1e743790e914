'use strict';
// The npm `smpp` package as an upstream ESME against the real daemon, whose carrier is the
// project's smsc-sim: a bad password is refused with ESME_RINVPASWD; a good bind submits GSM and
// UCS-2 text, gets our message ids, receives each receipt under that id, and query_sm agrees.
//
//   node upstream_esme.test.js --smppgw BIN --smsc-sim BIN --data-dir etc/data

const fs = require('node:fs');
const path = require('node:path');
const h = require('./harness');

const smpp = h.loadSmpp();
const args = h.parseArgs(process.argv);
const {assert} = h;

async function startSim() {
  const dir = h.tempDir();
  const portFile = path.join(dir, 'port');
  h.spawn(
    args['smsc-sim'],
    ['--port', '0', '--port-file', portFile, '--receipt-delay', '20ms', '--threads', '1'],
    path.join(dir, 'smsc-sim.log'));
  await h.waitFor('smsc-sim port file',
    () => fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8').trim() !== '');
  return Number(fs.readFileSync(portFile, 'utf8').trim());
}

h.run(async () => {
  assert.ok(args['smsc-sim'], '--smsc-sim is required');
  const simPort = await startSim();
  const gw = await h.startGateway(args, simPort);

  // Wrong password: ESME_RINVPASWD, then the daemon closes the connection.
  {
    const s = await h.connect(smpp, gw.smppPort);
    s.on('error', () => {});
    const r = await h.request(s, 'bind_transceiver', {system_id: 'demo', password: 'nope1234'});
    assert.equal(r.command_status, smpp.ESME_RINVPASWD, 'bad password status');
    assert.ok(await h.closed(s), 'the daemon closes after a refused bind');
  }

  const s = await h.connect(smpp, gw.smppPort);
  const receipts = new Map(); // our message id -> deliver_sm
  const others = [];
  s.on('deliver_sm', (pdu) => {
    if (pdu.esm_class & 0x04) {
      receipts.set(pdu.receipted_message_id, pdu);
    } else {
      others.push(pdu);
    }
    s.send(pdu.response());
  });
  s.on('error', (e) => console.error('session error', e));

  const bound = await h.request(s, 'bind_transceiver', {system_id: 'demo', password: 'demo1234'});
  assert.equal(bound.command_status, 0, 'bind status');
  assert.equal(bound.system_id, 'smppgw');

  const el = await h.request(s, 'enquire_link');
  assert.equal(el.command_status, 0);

  const messages = [
    {destination_addr: '12125551234', short_message: 'Hello from node-smpp'},
    {destination_addr: '12125551235', short_message: 'Привет из node-smpp'},
  ];
  const ids = [];
  for (const m of messages) {
    const r = await h.request(s, 'submit_sm', {
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: h.ACCOUNT_NUMBER,
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: m.destination_addr,
      registered_delivery: 1,
      short_message: m.short_message,
    });
    assert.equal(r.command_status, 0, `submit_sm to ${m.destination_addr}`);
    assert.match(r.message_id, /^[0-9]{1,20}$/, 'our ids are decimal, at most 20 digits');
    ids.push(r.message_id);
  }
  assert.notEqual(ids[0], ids[1]);

  await h.waitFor('both receipts', () => ids.every((id) => receipts.has(id)));
  for (let i = 0; i < ids.length; i++) {
    const d = receipts.get(ids[i]);
    const text = d.short_message.message;
    assert.ok(text.includes(`id:${ids[i]} `), `receipt text carries our id: ${text}`);
    assert.ok(text.includes('stat:DELIVRD'), `receipt text: ${text}`);
    assert.equal(d.message_state, 2, 'message_state TLV DELIVERED');
    assert.equal(d.source_addr, messages[i].destination_addr, 'receipt comes from the handset');
    assert.equal(d.destination_addr, h.ACCOUNT_NUMBER);
  }
  assert.equal(others.length, 0, 'no MO was sent');

  for (const id of ids) {
    const q = await h.request(s, 'query_sm', {
      message_id: id,
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: h.ACCOUNT_NUMBER,
    });
    assert.equal(q.command_status, 0, 'query_sm status');
    assert.equal(q.message_id, id);
    assert.equal(q.message_state, 2, 'query_sm says DELIVERED');
  }

  // A receiver may not submit: ESME_RINVBNDSTS.
  {
    const rx = await h.connect(smpp, gw.smppPort);
    rx.on('deliver_sm', (pdu) => rx.send(pdu.response()));
    const b = await h.request(rx, 'bind_receiver', {system_id: 'demo', password: 'demo1234'});
    assert.equal(b.command_status, 0);
    const r = await h.request(rx, 'submit_sm',
      {destination_addr: '12125551236', short_message: 'no'});
    assert.equal(r.command_status, smpp.ESME_RINVBNDSTS);
    await h.request(rx, 'unbind');
    rx.close();
  }

  const u = await h.request(s, 'unbind');
  assert.equal(u.command_status, 0);
  s.close(); // the side that sent unbind closes (SMPP.md 6.1)
  assert.ok(await h.closed(s));
});
