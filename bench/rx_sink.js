// A receiver-only upstream client for bench/e2e.sh --rx-sink: binds as a receiver, answers
// every deliver_sm ESME_ROK, and reports how many receipts and MOs it took when it gets SIGTERM
// (one JSON line on stdout). Uses the npm smpp package of tests/interop (scripts/install-deps.sh
// installs it).
//
//   node bench/rx_sink.js PORT [SYSTEM_ID [PASSWORD]]
'use strict';
const path = require('node:path');
const smpp = require(path.join(__dirname, '..', 'tests', 'interop', 'node_modules', 'smpp'));

const [port, systemId = 'bench', password = 'bench'] = process.argv.slice(2);
let receipts = 0;
let others = 0;
let bound = false;
const session = smpp.connect({url: `smpp://127.0.0.1:${port}`});
session.on('error', (e) => {
  process.stderr.write(`rx_sink: ${e.message}\n`);
  process.exit(1);
});
session.on('deliver_sm', (pdu) => {
  if ((pdu.esm_class & 0x04) !== 0) {
    receipts += 1;
  } else {
    others += 1;
  }
  session.send(pdu.response());
});
session.on('enquire_link', (pdu) => session.send(pdu.response()));
session.bind_receiver({system_id: systemId, password}, (r) => {
  if (r.command_status !== 0) {
    process.stderr.write(`rx_sink: bind refused, status ${r.command_status}\n`);
    process.exit(1);
  }
  bound = true;
  process.stderr.write('rx_sink: bound\n');
});
process.on('SIGTERM', () => {
  process.stdout.write(`${JSON.stringify({bound, receipts, others})}\n`);
  process.exit(0);
});
