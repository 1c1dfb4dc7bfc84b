// "Why": the words of blockedBy/root/firedBy/Failure frames (src/model/viewWhy.ts through
// view.ts), the header's unhandled and orphan counts, `status --json`'s new fields and the
// `why` command, on hand-made recordings and on the examples' golden recordings.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli';
import { detailLineCount, detailLines, isOrphan, isUnhandledNow, rootText, whyText } from '../../src/model/view';
import type { BlockedBy, DeferredState, Location } from '../../src/protocol/protocol';
import { RECORDING_FORMAT } from '../../src/protocol/protocol';
import { batch, changed, created, failed, NOTEBOOK, newModel, PID, pending, snapshot, waitingOn } from './builders';

const ROOT = resolve(__dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'why-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const at = (line: number, fn = 'fetch'): Location => ({ file: NOTEBOOK, line, function: fn });
const b = (kind: string, text: string, ids: number[] = [], location: Location | null = null): BlockedBy => ({ kind, text, ids, location });
const nameOf = (id: number) => `#${id}`;

function run(...args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = main(
    args,
    (t) => {
      out += t;
    },
    (t) => {
      err += t;
    },
  );
  return { code, out, err };
}

function recording(states: DeferredState[]): string {
  const header = { format: RECORDING_FORMAT, formatVersion: 1, protocolVersion: '1.3', pid: PID, startedAt: 0, argv: ['x.py'] };
  const file = join(scratch, `r${Math.random().toString(36).slice(2)}.jsonl`);
  const lines = [header, batch(...states.map((s, i) => created(i + 1, s)))];
  writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return file;
}

describe('the words of why', () => {
  it('composes one line per kind from the runtime fact phrase', () => {
    expect(whyText(b('timer', 'in 1.8 s · deferLater(on_done)', [], at(31)), nameOf)).toBe(
      'timer in 1.8 s · deferLater(on_done), notebook.py:31',
    );
    expect(whyText(b('deferred', 'chained', [4]), nameOf)).toBe('waiting on #4');
    expect(whyText(b('list', '2 of 5 fired', [4, 5, 6, 7]), nameOf)).toBe('list 2 of 5 fired — waiting on #4, #5, #6 and 1 more');
    expect(whyText(b('generator', 'inline_install() yields', [9], at(24)), nameOf)).toBe(
      'generator inline_install() yields, notebook.py:24 — awaiting #9',
    );
    expect(whyText(b('orphan', 'anything'), nameOf)).toBe('orphan — nothing can ever fire it');
    expect(whyText(b('connection', 'PoetryClientFactory → 127.0.0.1:10000 · connecting'), nameOf)).toBe(
      'connection PoetryClientFactory → 127.0.0.1:10000 · connecting',
    );
    expect(whyText(b('from-the-future', 'held by __main__.gates[0]'), nameOf)).toBe('held by __main__.gates[0]');
  });

  it('reads the root (its ids are the path, not awaited Deferreds) and marks orphans', () => {
    const view = { blockedBy: b('deferred', 'chained', [2]), root: b('orphan', 'x', [1, 2]) };
    expect(rootText(view, nameOf)).toBe('orphan — nothing can ever fire it');
    expect(isOrphan(view)).toBe(true);
    expect(rootText({ blockedBy: null, root: null }, nameOf)).toBeNull();
  });

  it('flags a Failure with no errback left as unhandled now', () => {
    const f = failed(1, 'ValueError', 'boom');
    expect(isUnhandledNow(f)).toBe(true);
    expect(isUnhandledNow({ ...f, callbacks: [{ callback: null, errback: null, continues: 2 }] })).toBe(false);
    expect(isUnhandledNow({ ...f, collected: true })).toBe(false);
  });

  it('gives detail lines for the wait, the path, the firer, the raiser and the traceback, counted exactly', () => {
    const frames = [at(10, '_runCallbacks'), at(20, 'parse'), at(30, 'inner')];
    const state = failed(1, 'ValueError', 'boom', {
      result: { kind: 'failure', excType: 'ValueError', message: 'boom', truncated: false, frames, raisedBy: frames[1] },
      firedBy: at(40, 'main'),
      firedAgainBy: at(41, 'main'),
    });
    const model = newModel();
    model.applyBatch(
      batch(
        created(1, state),
        created(2, waitingOn(2, 3, { blockedBy: b('deferred', 'chained', [3]), root: b('timer', 'in 2.0 s · callLater', [2, 3]) })),
      ),
    );
    for (const id of [1, 2]) {
      const view = model.get(id)!;
      const lines = detailLines(view, (i) => model.get(i));
      expect(lines.length).toBe(detailLineCount(view));
    }
    const text = (id: number) => detailLines(model.get(id)!, (i) => model.get(i)).map((l) => l.map((s) => s.text).join(''));
    expect(text(1)).toContain('raised by callback parse() notebook.py:20');
    expect(text(1)).toEqual(
      expect.arrayContaining([
        'traceback 1/3 _runCallbacks() notebook.py:10',
        'traceback 2/3 parse() notebook.py:20',
        'traceback 3/3 (innermost) inner() notebook.py:30',
      ]),
    );
    expect(text(1)).toContain('fired by main() notebook.py:40   fired again by main() notebook.py:41 (AlreadyCalledError)');
    expect(text(1)).toContain('unhandled now: a Failure and no errback left');
    expect(text(2)).toContain('root timer in 2.0 s · callLater');
    expect(text(2)).toContain('path Deferred #2 → #3');
    expect(model.header()).toMatchObject({ failed: 1, unhandled: 1, orphans: 0 });
  });
});

describe('when a Deferred last changed (for "only stuck")', () => {
  it('is the newest created/changed event, not a stop re-reading it; the header has the newest event time; any order', () => {
    const events = [
      created(1, pending(1)),
      { ...created(2, pending(2)), t: 2000 },
      { ...changed(3, pending(1, { callbacks: [], paused: 1 })), t: 3000 },
      snapshot(4, [pending(1, { paused: 1 }), pending(2)]),
    ];
    events[3] = { ...events[3], t: 9000 };
    for (const order of [events, [...events].reverse()]) {
      const model = newModel();
      for (const e of order) model.applyBatch(batch(e));
      expect(model.get(1)!.changedAt).toBe(3000);
      expect(model.get(2)!.changedAt).toBe(2000);
      expect(model.header().clock).toBe(9000);
    }
  });
});

describe('deferred-graph why and status --json', () => {
  const states = [
    pending(1, { blockedBy: b('deferred', 'chained', [2]), root: b('orphan', 'x', [1, 2]), label: 'outer' }),
    pending(2, { blockedBy: b('orphan', 'nothing can fire it'), root: b('orphan', 'nothing can fire it', [2]) }),
    failed(3, 'KeyError', "'k'", {
      result: { kind: 'failure', excType: 'KeyError', message: "'k'", truncated: false, frames: [at(5, 'cb')], raisedBy: at(5, 'cb') },
      firedBy: at(9, 'main'),
    }),
  ];

  it('status --json rows carry blockedBy, root, firedBy, why and a failure with frames', () => {
    const { code, out } = run('status', recording(states), '--json');
    expect(code).toBe(0);
    const rows = JSON.parse(out);
    expect(rows[0]).toMatchObject({ label: 'outer', blockedBy: { kind: 'deferred', ids: [2] }, root: { kind: 'orphan', ids: [1, 2] } });
    expect(rows[0].why).toBe('orphan — nothing can ever fire it');
    expect(rows[2].firedBy).toEqual(at(9, 'main'));
    expect(rows[2].failure).toEqual({ excType: 'KeyError', message: "'k'", frames: [at(5, 'cb')], raisedBy: at(5, 'cb') });
    expect(rows[2].blockedBy).toBeNull();
  });

  it('why prints the path to the root, by label or id, and fails on an unknown target', () => {
    const file = recording(states);
    const byLabel = run('why', file, 'outer');
    expect(byLabel.code).toBe(0);
    expect(byLabel.out.split('\n')).toEqual([
      'outer (#1): waiting on Deferred #2',
      '  outer (#1): waiting on Deferred #2',
      '    └ Deferred #2: orphan — nothing can ever fire it',
      'root: orphan — nothing can ever fire it',
      '',
    ]);
    expect(run('why', file, '#3').out).toBe('Deferred #3 (#3): not pending (failed); fired by main() notebook.py:9\n');
    const missing = run('why', file, 'nope');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no Deferred "nope"/);
    expect(run('why', file).code).toBe(2);
  });

  it("roots every customer's installation of tale 3 in its deferLater timer (golden recording)", () => {
    const file = join(ROOT, 'test/golden/tale3_deferlater.jsonl');
    const rows = JSON.parse(run('status', file, '--at-mark', 'scheduled', '--json').out) as {
      label: string;
      root: BlockedBy | null;
    }[];
    const installs = rows.filter((r) => r.label.startsWith('installation for'));
    expect(installs.length).toBeGreaterThan(0);
    for (const row of installs) {
      expect(row.root?.kind).toBe('timer');
      expect(row.root?.text).toMatch(/deferLater\(schedule_install\.<locals>\.schedule_install_wordpress\.<locals>\.on_done\)/);
    }
    const why = run('why', file, installs[0].label, '--at-mark', 'scheduled').out;
    expect(why).toMatch(/^root: timer (in|overdue by) [\d.]+ (ms|s) · deferLater/m);
    expect(readFileSync(file, 'utf8')).toContain('"protocolVersion":"1.3"');
  });

  it("shows tale 4's generator suspended at its yield line, rooted in the deferLater it awaits", () => {
    const file = join(ROOT, 'test/golden/tale4_inline.jsonl');
    const why = run('why', file, 'installation for Customer 0', '--at-mark', 'scheduled').out;
    expect(why).toMatch(/generator inline_install\(\) yields, tale4_inline\.py:24 — awaiting Deferred #\d+/);
    expect(why).toMatch(/^root: timer .*deferLater\(inline_install\.<locals>\.<lambda>\)/m);
  });
});
