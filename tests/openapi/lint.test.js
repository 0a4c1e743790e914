'use strict';
// `redocly lint` over etc/openapi.yaml with the recommended rules (redocly.yaml): any error or
// warning fails. Exits 77 (ctest skip) when `npm ci` has not been run here.
//
//   node lint.test.js

const childProcess = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const bin = path.join(__dirname, 'node_modules', '.bin', 'redocly');
if (!fs.existsSync(bin)) {
  console.log('SKIP: run `npm ci` in tests/openapi (scripts/install-deps.sh does)');
  process.exit(77);
}
// Run from this folder: the ignore file names the spec by its path relative to here.
const r = childProcess.spawnSync(
  bin, ['lint', '--config', 'redocly.yaml', '--format', 'stylish', '--max-problems', '1000',
        '../../etc/openapi.yaml'],
  {cwd: __dirname, encoding: 'utf8', env: {...process.env, REDOCLY_TELEMETRY: 'off',
                                           REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true'}});
const output = `${r.stdout}\n${r.stderr}`;
console.log(output);
// Warnings do not change redocly's exit code; they fail here all the same.
const warnings = (output.match(/\bwarning\b/gi) || []).length;
if (r.status !== 0 || warnings > 0) {
  console.error(`FAIL: redocly lint exit ${r.status}, ${warnings} warning line(s)`);
  process.exit(1);
}
console.log('PASS');
