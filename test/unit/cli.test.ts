// The `deferred-graph` CLI, run as the bundled program (the CLI entry of esbuild.mjs, built
// here into a scratch folder so the test does not race other builds of dist/). Expected rows
// come from the goldens' Python-side status() records, not from hand-written values.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallbackPair } from '../../src/protocol/protocol';
import { RECORDING_FORMAT } from '../../src/protocol/protocol';
import { batch, callbackPair, continues, created, fired, NOTEBOOK, PID, pending } from './builders';

const ROOT = resolve(__dirname, '../..');
const GOLDEN = join(ROOT, 'test/golden');
const scratch = mkdtempSync(join(tmpdir(), 'cli-test-'));
const cliPath = join(scratch, 'cli.js');

beforeAll(async () => {
  await esbuild.build({
    entryPoints: [join(ROOT, 'src/cli/cli.ts')],
    outfile: cliPath,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'es2022',
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'warning',
  });
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const done = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', cwd: ROOT });
  return { code: done.status, stdout: done.stdout, stderr: done.stderr };
}

interface ExpectedMarker {
  name: string;
  deferreds: Record<
    string,
    { id: number; hasResult: boolean; result: string | null; failure: unknown; callbacks: number; paused: number; called: boolean }
  >;
}
const notebook = JSON.parse(readFileSync(join(GOLDEN, 'notebook.expected.json'), 'utf8')) as { markers: ExpectedMarker[] };
/** Experiment 3.a after a fired: a waits on b (the notebook's chained case). */
const chained = notebook.markers.find((m) => m.name === 'exp3a/a-fired')!;

function writeRecording(name: string, lines: unknown[]): string {
  const path = join(scratch, name);
  writeFileSync(path, `${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`);
  return path;
}
const header = { format: RECORDING_FORMAT, formatVersion: 1, protocolVersion: '1.0', pid: PID, startedAt: 0, argv: ['x.py'] };

describe('deferred-graph CLI', () => {
  it('prints its usage with --help and exits 0', () => {
    const run = cli('--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/deferred-graph status FILE\.jsonl \[--at-mark NAME/);
  });

  it('prints the notebook rows at a marker as Python status() saw them', () => {
    const run = cli('status', 'test/golden/notebook.jsonl', '--at-mark', chained.name);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/at marker "exp3a\/a-fired"/);
    const rows = run.stdout.split('\n');
    for (const [label, want] of Object.entries(chained.deferreds)) {
      const cells = rows.find((r) => r.startsWith(`${want.id} `))!.split(/\s{2,}/);
      expect(cells[1]).toBe(label);
      if (want.result !== null || !want.hasResult) expect(cells[3]).toBe(want.result ?? 'N/A');
      expect(cells[4]).toBe(String(want.callbacks));
    }
  });

  it('prints JSON rows with the documented fields, equal to the Python-side record', () => {
    const run = cli('status', 'test/golden/notebook.jsonl', '--at-mark', chained.name, '--json');
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as Record<string, unknown>[];
    for (const key of ['id', 'label', 'hasResult', 'result', 'resultDeferred', 'callbacks', 'paused', 'waitingOn', 'called']) {
      expect(rows[0]).toHaveProperty(key);
    }
    for (const [label, want] of Object.entries(chained.deferreds)) {
      const row = rows.find((r) => r.id === want.id)!;
      expect(row).toMatchObject({
        label,
        hasResult: want.hasResult,
        result: want.result,
        failure: want.failure,
        callbacks: want.callbacks,
        paused: want.paused,
        called: want.called,
      });
    }
    const waiting = rows.find((r) => r.waitingOn !== null)!;
    expect(waiting).toMatchObject({ result: null, resultDeferred: waiting.waitingOn });
  });

  it('replays to the end by default and lists markers', () => {
    const end = JSON.parse(cli('status', 'test/golden/notebook.jsonl', '--json').stdout) as { id: number }[];
    const early = JSON.parse(cli('status', 'test/golden/notebook.jsonl', '--json', '--at-mark', 'exp1/created').stdout) as { id: number }[];
    expect(end.length).toBeGreaterThan(early.length);
    const markers = cli('markers', 'test/golden/notebook.jsonl');
    expect(
      markers.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[1]),
    ).toEqual(notebook.markers.map((m) => m.name));
  });

  it('reports errors in the file with their line numbers, prints the rest and exits 1', () => {
    const bad = JSON.parse(JSON.stringify(batch(created(3, fired(2, '7'))))) as { events: { deferred: { paused: unknown } }[] };
    bad.events[0].deferred.paused = 1.5;
    const path = writeRecording('broken.jsonl', [header, batch(created(1, fired(1, '5'))), '{"truncated": ', bad]);
    const run = cli('status', path);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${path}:3: not valid JSON`);
    expect(run.stderr).toContain(`${path}:4: Rejected event:`);
    expect(run.stderr).toMatch(/deferred\.paused: expected an integer/);
    expect(run.stdout).toMatch(/^1\s+Deferred #1\s+fired\s+5\s+0\s+—\s+\S+\(\)/m);
  });

  it('says what each row is: its pending callbacks by name and where it was created', () => {
    const errbackOnly: CallbackPair = {
      callback: callbackPair('passthru').callback,
      errback: callbackPair('log_error').callback,
      continues: null,
    };
    const waiting = pending(2, { callbacks: [callbackPair('parse_page'), errbackOnly, continues(1)] });
    const path = writeRecording('sites.jsonl', [header, batch(created(1, pending(1)), created(2, waiting))]);
    const run = cli('status', path);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ID\s+DEFERRED\s+STATE\s+RESULT\s+CALLBACKS\s+PENDING\s+CREATED$/m);
    expect(run.stdout).toMatch(
      /^2\s+Deferred #2\s+pending\s+N\/A\s+3\s+parse_page, errback log_error, continues Deferred #1\s+experiment\(\) notebook\.py:12$/m,
    );
    expect(run.stdout).toMatch(/^1\s+Deferred #1\s+pending\s+N\/A\s+0\s+—\s+experiment\(\) notebook\.py:11$/m);
    const rows = JSON.parse(cli('status', path, '--json').stdout) as { id: number; created: unknown; callbackPairs: unknown[] }[];
    const row = rows.find((r) => r.id === 2)!;
    expect(row.created).toEqual({ file: NOTEBOOK, line: 12, function: 'experiment' });
    expect(row.callbackPairs).toEqual(waiting.callbacks);
  });

  it('says which markers exist when the named one does not', () => {
    const run = cli('status', 'test/golden/notebook.jsonl', '--at-mark', 'nope');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no marker "nope" in .*; its markers: exp1\/created, exp1\/fired/);
  });

  it('rejects a file that is not a recording, and a wrong command line', () => {
    const notRecording = writeRecording('other.jsonl', [{ format: 'something-else', formatVersion: 1 }]);
    expect(cli('status', notRecording).stderr).toMatch(/:1: not a Deferred Graph recording/);
    expect(cli('status', join(scratch, 'missing.jsonl'))).toMatchObject({ code: 1, stderr: expect.stringMatching(/cannot read/) });
    expect(cli('status')).toMatchObject({ code: 2, stderr: expect.stringMatching(/needs exactly one recording file/) });
    expect(cli('frobnicate', 'x')).toMatchObject({ code: 2 });
    expect(cli('status', 'x.jsonl', '--bogus')).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown option --bogus/) });
  });

  it('escapes control characters from the debuggee in the table but keeps them in JSON', () => {
    const hostile = '\u001b[31mred\u001b[0m\nnext\u0007';
    const path = writeRecording('hostile.jsonl', [header, batch(created(1, fired(1, hostile, { label: 'x\ty' })))]);
    const table = cli('status', path).stdout;
    expect(table).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(table).toContain('\\x1b[31mred\\x1b[0m\\nnext\\x07');
    expect(table).toContain('x\\ty');
    expect((JSON.parse(cli('status', path, '--json').stdout) as { result: string }[])[0].result).toBe(hostile);
  });

  it('stops quietly when the reader closes the pipe early (| head)', async () => {
    const many = Array.from({ length: 3000 }, (_, i) => created(i + 1, fired(i + 1, String(i))));
    const path = writeRecording('many.jsonl', [header, batch(...many)]);
    const child = spawn(process.execPath, [cliPath, 'status', path, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
