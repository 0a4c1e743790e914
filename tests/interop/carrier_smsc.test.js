'use strict';
// The npm `smpp` package as the carrier SMSC (smpp.createServer) behind the real daemon, and as
// the upstream ESME in front of it. The carrier checks the daemon's credentials, answers
// submit_sm with ids of its own style, sends receipts (esm_class 4, "id:" text and
// receipted_message_id) and an MO. Upstream must see every receipt under OUR id (never the
// carrier's), one aggregated receipt for a long message the daemon split into UDH parts, and
// the MO forwarded.
//
//   node carrier_smsc.test.js --smppgw BIN --data-dir etc/data

const h = require('./harness');

const smpp = h.loadSmpp();
const args = h.parseArgs(process.argv);
const {assert} = h;

function yymmddhhmm(d) {
  const p = (n) => String(n).padStart(2, '0');
  return [d.getUTCFullYear() % 100, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(),
    d.getUTCMinutes()].map(p).join('');
}

// The carrier: records submits and delivery responses.
function startCarrier() {
  const state = {
    submits: [], // {cid, destination, text, udh, esm_class, data_coding}
    deliveries: [], // {kind, cid?, status?}
    sessions: new Set(),
    badBinds: 0,
    nextId: 0xa000,
  };
  const server = smpp.createServer((session) => {
    session.on('error', () => {});
    const onBind = (pdu) => {
      if (pdu.system_id !== 'smppgw' || pdu.password !== 'secret') {
        state.badBinds++;
        session.send(pdu.response({command_status: smpp.ESME_RBINDFAIL}));
        session.close();
        return;
      }
      session.send(pdu.response({system_id: 'NODESMSC'}));
      state.sessions.add(session);
      session.socket.once('close', () => state.sessions.delete(session));
    };
    session.on('bind_transceiver', onBind);
    session.on('bind_transmitter', onBind);
    session.on('bind_receiver', onBind);
    session.on('enquire_link', (pdu) => session.send(pdu.response()));
    session.on('unbind', (pdu) => {
      session.send(pdu.response());
      session.close();
    });
    session.on('submit_sm', (pdu) => {
      // Hex ids with a prefix: nothing like the daemon's decimal ids.
      const cid = 'NX' + (state.nextId++).toString(16).toUpperCase();
      const sm = pdu.short_message || {};
      state.submits.push({
        cid,
        destination: pdu.destination_addr,
        text: typeof sm.message === 'string' ? sm.message : String(sm.message),
        udh: sm.udh || [],
        esm_class: pdu.esm_class,
        data_coding: pdu.data_coding,
        registered_delivery: pdu.registered_delivery,
      });
      session.send(pdu.response({message_id: cid}));
      if (pdu.registered_delivery & 0x01) {
        setTimeout(() => {
          const now = yymmddhhmm(new Date());
          const entry = {kind: 'receipt', cid};
          state.deliveries.push(entry);
          session.deliver_sm(
            {
              source_addr_ton: 1,
              source_addr_npi: 1,
              source_addr: pdu.destination_addr,
              dest_addr_ton: pdu.source_addr_ton,
              dest_addr_npi: pdu.source_addr_npi,
              destination_addr: pdu.source_addr,
              esm_class: 0x04,
              short_message: `id:${cid} sub:001 dlvrd:001 submit date:${now} ` +
                `done date:${now} stat:DELIVRD err:000 text:`,
              receipted_message_id: cid,
              message_state: 2,
            },
            (resp) => (entry.status = resp.command_status));
        }, 20);
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({server, state, port: server.address().port}));
  });
}

h.run(async () => {
  const carrier = await startCarrier();
  const gw = await h.startGateway(args, carrier.port);
  assert.equal(carrier.state.badBinds, 0, 'the daemon binds with its configured credentials');
  assert.ok(carrier.state.sessions.size >= 1, 'the daemon is bound to the node carrier');

  // Upstream: node-smpp ESME.
  const esme = await h.connect(smpp, gw.smppPort);
  const receipts = [];
  const mos = [];
  esme.on('deliver_sm', (pdu) => {
    (pdu.esm_class & 0x04 ? receipts : mos).push(pdu);
    esme.send(pdu.response());
  });
  esme.on('error', (e) => console.error('esme error', e));
  const b = await h.request(esme, 'bind_transceiver', {system_id: 'demo', password: 'demo1234'});
  assert.equal(b.command_status, 0);

  // Two short messages and one long GSM message (200 characters: two UDH parts).
  const long = 'L'.repeat(10) + ' ' + 'This message is longer than one SMS. '.repeat(5);
  const texts = ['First message', 'Second message', long.slice(0, 200)];
  const ids = [];
  for (let i = 0; i < texts.length; i++) {
    const r = await h.request(esme, 'submit_sm', {
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: h.ACCOUNT_NUMBER,
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: `1212555200${i}`,
      registered_delivery: 1,
      // short_message holds at most 254 octets; 200 GSM characters fit.
      short_message: texts[i],
    });
    assert.equal(r.command_status, 0, `submit ${i}`);
    ids.push(r.message_id);
  }

  // The carrier got 2 + 2 submits; the long one as two concatenated parts that rebuild it.
  await h.waitFor('4 submits at the carrier', () => carrier.state.submits.length >= 4);
  const byDest = (d) => carrier.state.submits.filter((s) => s.destination === d);
  assert.equal(byDest('12125552000')[0].text, texts[0]);
  assert.equal(byDest('12125552001')[0].text, texts[1]);
  const parts = byDest('12125552002');
  assert.equal(parts.length, 2, 'the long message leaves in two parts');
  const concat = (p) => {
    const ie = p.udh.find((u) => u[0] === 0x00 || u[0] === 0x08);
    assert.ok(ie, 'each part has a concatenation IE');
    return ie[0] === 0x00
      ? {ref: ie[2], total: ie[3], seq: ie[4]}
      : {ref: ie.readUInt16BE(2), total: ie[4], seq: ie[5]};
  };
  const c = parts.map(concat).sort((x, y) => x.seq - y.seq);
  assert.deepEqual(c.map((x) => x.seq), [1, 2]);
  assert.ok(c.every((x) => x.total === 2 && x.ref === c[0].ref), 'same reference, total 2');
  const ordered = parts.slice().sort((x, y) => concat(x).seq - concat(y).seq);
  assert.equal(ordered.map((p) => p.text).join(''), texts[2], 'the parts rebuild the text');
  for (const s of carrier.state.submits) {
    assert.equal(s.registered_delivery & 0x01, 1, 'the daemon asks the carrier for receipts');
  }

  // Upstream: exactly one receipt per submit, under our ids, never the carrier's.
  await h.waitFor('4 carrier receipts acknowledged', () =>
    carrier.state.deliveries.filter((d) => d.kind === 'receipt' && d.status === 0).length === 4);
  await h.waitFor('3 upstream receipts', () => receipts.length >= 3);

  // MO from a handset to the account's number.
  const mo = {kind: 'mo'};
  carrier.state.deliveries.push(mo);
  const carrierSession = [...carrier.state.sessions][0];
  carrierSession.deliver_sm(
    {
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: '12125559876',
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: h.ACCOUNT_NUMBER,
      esm_class: 0,
      short_message: 'Hi from the handset',
    },
    (resp) => (mo.status = resp.command_status));
  await h.waitFor('the MO upstream', () => mos.length >= 1);
  assert.equal(mo.status, 0, 'the daemon acknowledged the MO');
  assert.equal(mos[0].source_addr, '12125559876');
  assert.equal(mos[0].destination_addr, h.ACCOUNT_NUMBER);
  assert.equal(mos[0].short_message.message, 'Hi from the handset');

  // The MO left the outbox after the receipts: every receipt has been delivered by now.
  assert.equal(receipts.length, 3, 'one receipt per upstream submit (the long one aggregated)');
  const cids = new Set(carrier.state.submits.map((s) => s.cid));
  for (let i = 0; i < ids.length; i++) {
    const got = receipts.filter((r) => r.receipted_message_id === ids[i]);
    assert.equal(got.length, 1, `one receipt for message ${i}`);
    const text = got[0].short_message.message;
    assert.ok(text.includes(`id:${ids[i]} `), `our id in the text: ${text}`);
    assert.ok(text.includes('stat:DELIVRD'), text);
    for (const cid of cids) {
      assert.ok(!text.includes(cid), `the carrier id ${cid} leaked upstream: ${text}`);
    }
  }
  const longReceipt = receipts.find((r) => r.receipted_message_id === ids[2]).short_message.message;
  assert.ok(longReceipt.includes('sub:002') && longReceipt.includes('dlvrd:002'), longReceipt);

  await h.request(esme, 'unbind');
  esme.close();
  carrier.server.close();
});
