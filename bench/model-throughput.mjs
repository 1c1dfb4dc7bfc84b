// Benchmark of the chain model (src/model) against the target: 10,000 live Deferreds
// with 5,000 events/s, in the extension host. Simulates the runtime's pump (a batch every 50 ms,
// so 250 events a batch) for 60 s of program time and measures what the extension host pays:
// JSON.parse of each batch + applyBatch + takeDelta (the webview feed), a 10,000-Deferred
// snapshot at a stop (+ views()), and the heap after the stream with the default retention.
// Times are CPU time of the process (process.cpuUsage), so other load on the machine matters less.
// Usage: node bench/model-throughput.mjs  (figures go into bench/RESULTS-model.md)

import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

const dir = mkdtempSync(join(tmpdir(), 'model-bench-'));
const outfile = join(dir, 'model.cjs');
await esbuild.build({ entryPoints: ['src/model/index.ts'], bundle: true, platform: 'node', format: 'cjs', outfile, logLevel: 'warning' });
const { SessionModel } = createRequire(import.meta.url)(outfile);
rmSync(dir, { recursive: true, force: true });

/** CPU time of this process, not wall time: the figures must not depend on other load. */
function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

const LIVE = 10_000;
const EVENTS_PER_SECOND = 5_000;
const PUMP_MS = 50;
const SECONDS = 60;
const PID = 1;

const site = { file: '/home/user/project/service/handlers.py', line: 120, function: 'handle_request' };
const pair = (n) => ({
  callback: { name: `Handler.step_${n}`, file: site.file, line: 130 + n },
  errback: { name: 'Handler.on_error', file: site.file, line: 200 },
  continues: null,
});
function state(id, version) {
  const fired = version % 3 === 2;
  return {
    id,
    type: 'Deferred',
    label: null,
    called: fired,
    hasResult: fired,
    result: fired
      ? { kind: 'value', typeName: 'dict', repr: `{'status': 200, 'body': b'${'x'.repeat(40)}', 'n': ${version}}`, truncated: false }
      : null,
    callbacks: fired ? [] : [pair(1), pair(2), pair(version % 5)].slice(0, 1 + (version % 3)),
    paused: 0,
    waitingOn: null,
    cancelled: false,
    created: site,
    createdAt: 1e12 + id,
    firedAt: fired ? 1e12 + id + 5 : null,
    members: null,
    coroutine: null,
    timer: null,
  };
}

let seq = 0;
let batchNo = 0;
const batchText = (events) => JSON.stringify({ protocolVersion: '1.0', pid: PID, batch: ++batchNo, events });
const model = new SessionModel({ sessionId: 'bench', retainFired: 1000, retainCollected: 1000 });

// 10,000 live Deferreds, created in pump-sized batches.
const versions = new Map();
for (let id = 1; id <= LIVE; id += 250) {
  const events = [];
  for (let i = id; i < id + 250; i++) {
    versions.set(i, 0);
    events.push({ kind: 'created', seq: ++seq, t: seq, deferred: state(i, 0) });
  }
  model.applyBatch(JSON.parse(batchText(events)));
}
model.takeDelta();

// The stream: per event, 70% change a live Deferred, 30% a short-lived Deferred born (and later
// collected), so the live set stays at about 10,000.
let nextId = LIVE + 1;
const shortLived = [];
const perBatch = (EVENTS_PER_SECOND * PUMP_MS) / 1000;
const batches = (SECONDS * 1000) / PUMP_MS;
const costs = [];
let random = 12345;
const rand = () => {
  random = (random * 1103515245 + 12345) % 2147483648;
  return random / 2147483648;
};
for (let b = 0; b < batches; b++) {
  const events = [];
  for (let e = 0; e < perBatch; e++) {
    const roll = rand();
    if (roll < 0.7) {
      const id = 1 + Math.floor(rand() * LIVE);
      const v = versions.get(id) + 1;
      versions.set(id, v);
      events.push({ kind: 'changed', seq: ++seq, t: seq, deferred: state(id, v) });
    } else if (roll < 0.85 || shortLived.length === 0) {
      const id = nextId++;
      shortLived.push(id);
      events.push({ kind: 'created', seq: ++seq, t: seq, deferred: state(id, 2) });
    } else {
      events.push({ kind: 'collected', seq: ++seq, t: seq, id: shortLived.shift(), unhandledFailure: null });
    }
  }
  const text = batchText(events);
  const start = cpuMs();
  const outcome = model.applyBatch(JSON.parse(text));
  const delta = model.takeDelta();
  costs.push(cpuMs() - start);
  if (!outcome.ok || delta.upserts.length === 0) throw new Error(`bench stream broke: ${outcome.error}`);
}
costs.sort((a, b) => a - b);
const total = costs.reduce((a, b) => a + b, 0);
const pct = (p) => costs[Math.min(costs.length - 1, Math.floor((p / 100) * costs.length))].toFixed(2);

// A stop: a snapshot of every live Deferred (10,000 + the short-lived ones alive), then the full view.
const live = [...versions.entries()].map(([id, v]) => state(id, v)).concat(shortLived.map((id) => state(id, 2)));
const snapText = batchText([
  { kind: 'snapshot', seq: ++seq, t: seq, reason: 'stop', deferreds: live, ephemeral: 0, frameNames: { 1: 'a', 2: 'b' } },
]);
const snapStart = cpuMs();
model.applySnapshotBatch(JSON.parse(snapText));
const views = model.views();
const snapMs = cpuMs() - snapStart;

globalThis.gc?.();
const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
const h = model.header();
console.log(`stream: ${SECONDS} s at ${EVENTS_PER_SECOND} events/s, ${batches} batches of ${perBatch} events, ${LIVE} live Deferreds`);
console.log(`  host CPU time per batch (parse + apply + delta): median ${pct(50)} ms, p95 ${pct(95)} ms, max ${pct(100)} ms`);
console.log(`  host CPU share of one core: ${((total / (SECONDS * 1000)) * 100).toFixed(1)} %`);
console.log(
  `stop: snapshot of ${live.length} Deferreds (${(snapText.length / 2 ** 20).toFixed(1)} MB JSON) parsed + applied + views(): ${snapMs.toFixed(0)} ms, ${views.length} views`,
);
console.log(
  `model after the stream: pending ${h.pending}, fired ${h.fired}, collected ${h.collected}; heap used ${heapMb.toFixed(0)} MB${globalThis.gc ? '' : ' (run with --expose-gc for a settled figure)'}`,
);
