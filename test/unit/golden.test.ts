// The model over real recordings of every example: replayed to each marker, every labelled
// Deferred's row must equal what Twisted's own attributes said at that mark() (written by
// examples/graph_hooks.py; format in test/golden/README.md), and its cells must read exactly
// what the panel shows (the webview's own cell texts against the golden's `shown`). The committed goldens are checked,
// and fresh recordings are made with the other Twisted (26.4, the venv) by the real runtime.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markersIn, parseRecording, replayRecording, SessionModel, statusRow } from '../../src/model';
import type { DeferredState } from '../../src/protocol/protocol';
import { deferredCells, safeText } from '../../webview/format';

const ROOT = resolve(__dirname, '../..');
const GOLDEN_DIR = join(ROOT, 'test/golden');
const TWISTED_26 = join(ROOT, '.cache/venv-tw26/bin/python');
const execFileAsync = promisify(execFile);

/** One labelled Deferred at one marker, as graph_hooks.real_status writes it. */
interface ExpectedStatus {
  id: number;
  hasResult: boolean;
  result: string | null;
  resultDeferred: string | number | null;
  failure: { excType: string; message: string } | null;
  callbacks: number;
  paused: number;
  waitingOn: string | number | null;
  called: boolean;
}

/** The row's texts in the panel, as test/python/make_goldens.py words them from Python's facts. */
interface ShownText {
  label: string;
  result: string;
  callbacks: string;
}

interface Expected {
  example: string;
  recording: string;
  generatedWith: { python: string; twisted: string };
  markers: { name: string; deferreds: Record<string, ExpectedStatus & { shown: ShownText }> }[];
}

function goldensIn(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.expected.json'))
        .sort()
    : [];
}

/**
 * Replays the recording to each marker and returns every disagreement with the expectation,
 * one line each ("marker exp3/b-fired, b: callbacks 1 != 0").
 */
function mismatches(dir: string, expectedFile: string): string[] {
  const expected = JSON.parse(readFileSync(join(dir, expectedFile), 'utf8')) as Expected;
  const text = readFileSync(join(dir, expected.recording), 'utf8');
  const parsed = parseRecording(text);
  const out = parsed.errors.map((e) => `line ${e.line}: ${e.message}`);
  const recorded = markersIn(parsed.batches).map((m) => m.name);
  if (JSON.stringify(recorded) !== JSON.stringify(expected.markers.map((m) => m.name))) {
    return [...out, `markers differ: recorded ${JSON.stringify(recorded)}`];
  }
  const seen = new Map<string, number>();
  for (const marker of expected.markers) {
    const occurrence = (seen.get(marker.name) ?? 0) + 1;
    seen.set(marker.name, occurrence);
    const { model, errors } = replayRecording(text, { atMark: marker.name, occurrence });
    out.push(...errors.map((e) => `line ${e.line}: ${e.message}`));
    const labelOf = new Map(Object.entries(marker.deferreds).map(([label, s]) => [s.id, label]));
    const reference = (id: number | null) => (id === null ? null : (labelOf.get(id) ?? id));
    const lookup = (id: number) => model.get(id);
    for (const [label, { shown, ...want }] of Object.entries(marker.deferreds)) {
      const view = model.get(want.id);
      const where = `marker ${marker.name}#${occurrence}, ${label}`;
      if (!view) {
        out.push(`${where}: Deferred #${want.id} missing from the model`);
        continue;
      }
      const row = statusRow(view, lookup);
      const got: ExpectedStatus = {
        id: row.id,
        hasResult: row.hasResult,
        result: row.result,
        resultDeferred: reference(row.resultDeferred),
        failure: row.failure && { excType: row.failure.excType, message: row.failure.message },
        callbacks: row.callbacks,
        paused: row.paused,
        waitingOn: reference(row.waitingOn),
        called: row.called,
      };
      for (const key of Object.keys(want) as (keyof ExpectedStatus)[]) {
        if (JSON.stringify(got[key]) !== JSON.stringify(want[key])) {
          out.push(`${where}: ${key} ${JSON.stringify(got[key])} != ${JSON.stringify(want[key])}`);
        }
      }
      // The strings of the panel's cells; the expectation goes through the same bound and
      // escapes a row applies, so a 300-character repr is compared as the panel cuts it.
      const cells = deferredCells(view, lookup);
      for (const key of ['label', 'result', 'callbacks'] as const) {
        if (cells[key] !== safeText(shown[key]))
          out.push(`${where}: panel ${key} ${JSON.stringify(cells[key])} != ${JSON.stringify(shown[key])}`);
      }
      if (row.resultText !== shown.result || row.label !== shown.label)
        out.push(`${where}: CLI ${JSON.stringify([row.label, row.resultText])}`);
      if (row.userLabel !== label) out.push(`${where}: label ${JSON.stringify(row.userLabel)}`);
      if (row.collected) out.push(`${where}: shown as collected while Python still holds it`);
    }
  }
  return out;
}

describe('committed goldens (test/golden)', () => {
  const goldens = goldensIn(GOLDEN_DIR);
  it('exist for the examples', () => {
    expect(goldens.length, 'no goldens: run test/python/make_goldens.py').toBeGreaterThanOrEqual(5);
  });
  for (const file of goldens) {
    it(`${file}: every labelled Deferred equals Python's status() at every marker`, () => {
      expect(mismatches(GOLDEN_DIR, file)).toEqual([]);
    });
  }
});

describe('committed goldens delivered out of order', () => {
  for (const file of goldensIn(GOLDEN_DIR)) {
    it(`${file}: shuffled, duplicated batches end in the same model as the recording's order`, () => {
      const expected = JSON.parse(readFileSync(join(GOLDEN_DIR, file), 'utf8')) as Expected;
      const text = readFileSync(join(GOLDEN_DIR, expected.recording), 'utf8');
      const inOrder = replayRecording(text).model;
      const batches = parseRecording(text).batches;
      let seed = batches.length;
      const random = () => {
        seed = (seed * 16807) % 2147483647;
        return seed / 2147483647;
      };
      const shuffled = batches.concat(batches.filter(() => random() < 0.25));
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      const outOfOrder = new SessionModel({ sessionId: 'recording', retainFired: Infinity, retainCollected: Infinity });
      for (const batch of shuffled) expect(outOfOrder.applyBatch(batch).error).toBeUndefined();
      expect(outOfOrder.views()).toEqual(inOrder.views());
      expect(outOfOrder.header()).toEqual(inOrder.header());
    });
  }
});

describe('the golden comparison itself', () => {
  it('reports a tampered expectation and a recording cut short', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'goldens-tampered-'));
    try {
      const expected = JSON.parse(readFileSync(join(GOLDEN_DIR, 'notebook.expected.json'), 'utf8')) as Expected;
      const marker = expected.markers.find((m) => Object.values(m.deferreds).some((s) => s.callbacks > 0))!;
      const [label, status] = Object.entries(marker.deferreds).find(([, s]) => s.callbacks > 0)!;
      status.callbacks += 1;
      writeFileSync(join(scratch, 'notebook.expected.json'), JSON.stringify(expected));
      copyFileSync(join(GOLDEN_DIR, expected.recording), join(scratch, expected.recording));
      const report = mismatches(scratch, 'notebook.expected.json');
      expect(report).toContain(`marker ${marker.name}#1, ${label}: callbacks ${status.callbacks - 1} != ${status.callbacks}`);

      // A Failure worded as the panel used to (Twisted's repr) is no longer what the panel shows.
      const failing = JSON.parse(readFileSync(join(GOLDEN_DIR, 'callback_error.expected.json'), 'utf8')) as Expected;
      const failedAt = failing.markers.find((m) => Object.values(m.deferreds).some((s) => s.failure))!;
      const [failedLabel, failedStatus] = Object.entries(failedAt.deferreds).find(([, s]) => s.failure)!;
      const shown = failedStatus.shown.result;
      expect(shown).toBe(`${failedStatus.failure!.excType}: ${failedStatus.failure!.message}`);
      failedStatus.shown.result = `<twisted.python.failure.Failure ${shown}>`;
      writeFileSync(join(scratch, 'callback_error.expected.json'), JSON.stringify(failing));
      copyFileSync(join(GOLDEN_DIR, failing.recording), join(scratch, failing.recording));
      expect(mismatches(scratch, 'callback_error.expected.json')).toContain(
        `marker ${failedAt.name}#1, ${failedLabel}: panel result ${JSON.stringify(shown)} != ${JSON.stringify(failedStatus.shown.result)}`,
      );

      const lines = readFileSync(join(GOLDEN_DIR, expected.recording), 'utf8').split('\n');
      writeFileSync(join(scratch, expected.recording), lines.slice(0, Math.floor(lines.length / 2)).join('\n'));
      expect(mismatches(scratch, 'notebook.expected.json').join('\n')).toMatch(/markers differ/);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

/** Recordings made now by the real runtime with both Twisted versions, by the examples' own generator. */
const INTERPRETERS: [string, string][] = [
  ['22.4.0', '/usr/bin/python3'],
  ['26.4.0', TWISTED_26],
];
const LIVE_EXAMPLES = ['notebook', 'callback_error', 'tale3_deferlater', 'tale5_cooperator', 'coroutines'];
const RECORD_SCRIPT = [
  'import sys; from pathlib import Path',
  "sys.path.insert(0, 'test/python')",
  'import make_goldens',
  'for name in sys.argv[2:]: make_goldens.record_example(name, Path(sys.argv[1]), sys.executable)',
].join('\n');

const LOSSY_SCRIPT = [
  'import sys; from pathlib import Path',
  "sys.path[:0] = ['test/python', 'python']",
  'import socket_consumer',
  'socket_consumer.record_lossy(Path(sys.argv[1]))',
].join('\n');

const liveDirs = new Map(INTERPRETERS.map(([twisted]) => [twisted, mkdtempSync(join(tmpdir(), 'goldens-live-'))]));
/** What a socket consumer that hung up mid-stream received, so the runtime dropped events and resynced. */
const lossyDir = mkdtempSync(join(tmpdir(), 'goldens-lossy-'));
afterAll(() => {
  for (const dir of [...liveDirs.values(), lossyDir]) rmSync(dir, { recursive: true, force: true });
});
// All recordings are made at once: the examples mostly wait on timers.
beforeAll(async () => {
  const record = (python: string, dir: string, names: string[], env: NodeJS.ProcessEnv = process.env) =>
    execFileAsync(python, ['-c', RECORD_SCRIPT, dir, ...names], { cwd: ROOT, timeout: 120_000, env });
  await Promise.all([
    ...INTERPRETERS.map(([twisted, python]) => record(python, liveDirs.get(twisted)!, LIVE_EXAMPLES)),
    execFileAsync('/usr/bin/python3', ['-c', LOSSY_SCRIPT, join(lossyDir, 'lossy.jsonl')], { cwd: ROOT, timeout: 120_000 }),
  ]);
}, 150_000);

for (const [twisted] of INTERPRETERS) {
  describe(`fresh recordings on Twisted ${twisted}`, () => {
    for (const name of LIVE_EXAMPLES) {
      it(`${name}: every labelled Deferred equals Python's status() at every marker`, () => {
        const dir = liveDirs.get(twisted)!;
        const expected = JSON.parse(readFileSync(join(dir, `${name}.expected.json`), 'utf8')) as Expected;
        expect(expected.generatedWith.twisted).toBe(twisted);
        expect(expected.markers.length).toBeGreaterThan(0);
        expect(mismatches(dir, `${name}.expected.json`)).toEqual([]);
      });
    }
  });
}

describe('a lossy recording (the runtime dropped events and resynced)', () => {
  it('shows the dropped total and ends with the state of the newest event about each Deferred', () => {
    const text = readFileSync(join(lossyDir, 'lossy.jsonl'), 'utf8');
    const { model, errors } = replayRecording(text);
    expect(errors).toEqual([]);
    type Ev = { kind: string; seq: number; total?: number; id?: number; deferred?: DeferredState; deferreds?: DeferredState[] };
    const events = parseRecording(text)
      .batches.flatMap((b) => b.events as Ev[])
      .sort((a, b) => a.seq - b.seq);
    const totals = events.filter((e) => e.kind === 'dropped').map((e) => e.total!);
    expect(totals.length, 'the outbox should have overflowed while the consumer was away').toBeGreaterThan(0);
    expect(model.header().dropped).toBe(Math.max(...totals));

    // Straight from the recording, in seq order: the newest state of each Deferred, and which
    // ones were alive after the last snapshot (it replaces everything before it).
    const newest = new Map<number, DeferredState>();
    let alive = new Set<number>();
    for (const e of events) {
      if (e.kind === 'snapshot') {
        alive = new Set(e.deferreds!.map((d) => d.id));
        for (const d of e.deferreds!) newest.set(d.id, d);
      } else if (e.deferred) {
        alive.add(e.deferred.id);
        newest.set(e.deferred.id, e.deferred);
      } else if (e.kind === 'collected') alive.delete(e.id!);
    }
    const shownAlive = model
      .views()
      .filter((v) => !v.collected)
      .map((v) => v.id);
    expect(shownAlive.sort((a, b) => a - b)).toEqual([...alive].sort((a, b) => a - b));
    for (const [id, state] of newest) expect(model.get(id)).toMatchObject(state);
  });
});
