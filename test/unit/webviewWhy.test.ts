// @vitest-environment happy-dom
/**
 * "Why is this pending?" in the panel: every waiting row reads the root of its wait (an icon per
 * kind and the model's line), an expanded row shows the path to the root with each link working
 * (a Deferred selects its row, a location opens the editor), who fired it (both callers after an
 * AlreadyCalledError), the running mark and a Failure's frames; orphans carry their warning; the
 * header counts orphans and unhandled Failures without alarm at zero; "only stuck" keeps the
 * orphans, the overdue timers and what has not changed for 10 s on the program's clock, and is
 * remembered; hostile why texts stay text.
 */
import { describe, expect, it } from 'vitest';
import { STUCK_QUIET_MS } from '../../src/model/view';
import type { BlockedBy, DeferredView, Location } from '../../src/protocol/protocol';
import {
  failed,
  firedView,
  header,
  init,
  mount,
  outline,
  pendingView,
  RecordingHost,
  rowEl,
  rows,
  SESSION,
  view,
  waitingOn,
} from './builders';

const TALE3 = '/work/examples/tale3_deferlater.py';
const at = (line: number, fn: string, file = TALE3): Location => ({ file, line, function: fn });
const why = (kind: string, text: string, ids: number[] = [], location: Location | null = null): BlockedBy => ({
  kind,
  text,
  ids,
  location,
});
/** A Deferred nothing fired yet, waiting for `b` (its own root too, as the runtime sends a wait of one link). */
const waitingFor = (id: number, b: BlockedBy, name: string): DeferredView =>
  pendingView(id, { name, blockedBy: b, root: { ...b, ids: [id] } });

const stateCell = (root: HTMLElement, key: string) => rowEl(root, key).querySelector<HTMLElement>('.cell-state')!;
const detailTexts = (root: HTMLElement, key: string) =>
  rows(root)
    .filter((r) => r.key.startsWith(`${key}.`))
    .map((r) => r.text);
const detailRow = (root: HTMLElement, key: string, start: string) => {
  const found = rows(root).find((r) => r.key.startsWith(`${key}.`) && r.text.startsWith(start));
  if (!found) throw new Error(`no detail line "${start}…" under ${key}: ${detailTexts(root, key).join(' / ')}`);
  return rowEl(root, found.key);
};
const selectedKey = (root: HTMLElement): string | null => {
  const id = root.querySelector('[role="tree"]')!.getAttribute('aria-activedescendant');
  return id ? (root.querySelector(`#${CSS.escape(id)}`) as HTMLElement).dataset.key! : null;
};
/** Opens a row's details: a row that nests others shows them open already, its details after an explicit close and open. */
const expand = (root: HTMLElement, key: string) => {
  for (let i = 0; i < 2 && detailTexts(root, key).length === 0; i++) rowEl(root, key).querySelector<HTMLElement>('.twistie')!.click();
};

describe('a waiting row reads its why', () => {
  const KINDS: Array<[BlockedBy, string, string]> = [
    [why('timer', 'in 1.8 s · deferLater', [], at(31, 'on_done')), 'timer in 1.8 s · deferLater, tale3_deferlater.py:31', 'codicon-watch'],
    [why('list', '2 of 5 fired'), 'list 2 of 5 fired', 'codicon-list-unordered'],
    [
      why('generator', 'inline_install() yields', [], at(24, 'inline_install')),
      'generator inline_install() yields, tale3_deferlater.py:24',
      'codicon-symbol-method',
    ],
    [why('thread', 'blocking_job(3) running on worker 1'), 'thread blocking_job(3) running on worker 1', 'codicon-server-process'],
    [why('process', "['sleep', '5'] pid 4711"), "process ['sleep', '5'] pid 4711", 'codicon-terminal'],
    [
      why('connection', 'PoetryClientFactory → 127.0.0.1:10000 · connected'),
      'connection PoetryClientFactory → 127.0.0.1:10000 · connected',
      'codicon-plug',
    ],
    [why('lock', 'DeferredLock waiter 2 of 3'), 'lock DeferredLock waiter 2 of 3', 'codicon-lock'],
    [why('queue', 'DeferredQueue.get 1 of 1'), 'queue DeferredQueue.get 1 of 1', 'codicon-list-ordered'],
    [why('orphan', 'only its waiters refer to it'), 'orphan — nothing can ever fire it', 'codicon-warning'],
    [why('unknown', 'held by __main__.gates[0]'), 'held by __main__.gates[0]', 'codicon-question'],
  ];

  it('one kind a row: the kind icon and the line of the root, never a bare "pending"', () => {
    const { root, send } = mount();
    send(init(KINDS.map(([b], i) => waitingFor(i + 1, b, `d${i + 1}`))));
    KINDS.forEach(([b, line, icon], i) => {
      const cell = stateCell(root, `d${i + 1}`);
      expect(cell.textContent, b.kind).toBe(line);
      expect(cell.dataset.why).toBe(b.kind);
      expect(cell.querySelector('.why-icon')!.className).toBe(`why-icon codicon ${icon}`);
    });
    expect(rows(root).some((r) => r.state === 'pending')).toBe(false);
  });

  it('names nested functions by their own name in the row, in full in its tooltip', () => {
    const { root, send } = mount();
    const qualified = 'in 29.9 s · deferLater(schedule_install.<locals>.schedule_install_wordpress.<locals>.on_done)';
    send(init([waitingFor(1, why('timer', qualified, [], at(27, 'on_done')), 'work[3]')]));
    expect(stateCell(root, 'd1').textContent).toBe('timer in 29.9 s · deferLater(on_done), tale3_deferlater.py:27');
    expect(stateCell(root, 'd1').title.split('\n')[0]).toBe(`timer ${qualified}, tale3_deferlater.py:27`);
  });

  it('a Deferred waiting on another reads the root at the end of the chain; one that has its result reads its state', () => {
    const { root, send } = mount();
    const timer = why('timer', 'in 1.8 s · deferLater', [], at(31, 'on_done'));
    send(
      init([
        view(waitingOn(1, 2), { name: 'a', blockedBy: why('deferred', 'chained', [2]), root: { ...timer, ids: [1, 2] } }),
        waitingFor(2, timer, 'b'),
        firedView(3, '4', { name: 'c' }),
        pendingView(4, { name: 'old runtime' }),
        pendingView(5, {
          name: 'join',
          type: 'DeferredList',
          members: [2],
          blockedBy: why('list', '0 of 1 fired', [2]),
          root: { ...timer, ids: [5, 2] },
        }),
      ]),
    );
    // A list's first step without its members (the details list them), then where it ends.
    expect(stateCell(root, 'd5').textContent).toBe('list 0 of 1 fired → timer in 1.8 s · deferLater, tale3_deferlater.py:31');
    expect(stateCell(root, 'd1').textContent).toBe('waiting on b (#2) → timer in 1.8 s · deferLater, tale3_deferlater.py:31');
    expect(stateCell(root, 'd1').title).toContain('a (#1) → b (#2)');
    expect(stateCell(root, 'd2').textContent).toBe('timer in 1.8 s · deferLater, tale3_deferlater.py:31');
    expect(stateCell(root, 'd3').textContent).toBe('fired');
    expect(stateCell(root, 'd3').querySelector<HTMLElement>('.why-icon')!.hidden).toBe(true);
    // A 1.2 runtime sends no why: the row says what it knows.
    expect(stateCell(root, 'd4').textContent).toBe('pending');
  });
});

describe('the details of a waiting or fired row', () => {
  it('show the path to the root: each Deferred selects its row, the root location opens the editor', () => {
    const { root, send, host, runFrames } = mount();
    const timer = why('timer', 'in 1.8 s · deferLater', [], at(31, 'on_done'));
    send(
      init([
        view(waitingOn(1, 2), { name: 'a', blockedBy: why('deferred', 'chained', [2]), root: { ...timer, ids: [1, 2, 3] } }),
        view(waitingOn(2, 3), { name: 'b', blockedBy: why('deferred', 'chained', [3]), root: { ...timer, ids: [2, 3] } }),
        waitingFor(3, timer, 'c'),
      ]),
    );
    expand(root, 'd1');
    expect(detailTexts(root, 'd1')).toEqual(
      expect.arrayContaining([
        'waits for waiting on b (#2)',
        'root timer in 1.8 s · deferLater, tale3_deferlater.py:31',
        'path a (#1) → b (#2) → c (#3)',
      ]),
    );
    const path = detailRow(root, 'd1', 'path ');
    const links = [...path.querySelectorAll<HTMLElement>('.link')];
    expect(links.map((l) => l.textContent)).toEqual(['a (#1)', 'b (#2)', 'c (#3)']);
    links[2].click();
    runFrames();
    expect(selectedKey(root)).toBe('d3');

    detailRow(root, 'd1', 'root ').querySelector<HTMLElement>('.link')!.click();
    expect(host.posted.at(-1)).toEqual({ type: 'openLocation', file: TALE3, line: 31 });
  });

  it('show who fired it, both callers after an AlreadyCalledError, the running mark, and a Failure with its frames', () => {
    const { root, send, host, runFrames } = mount();
    const frames = [at(650, '_runCallbacks', '/tw/defer.py'), at(12, 'parse'), at(40, 'inner')];
    send(
      init([
        view(
          failed(1, 'ValueError', 'bad poem', {
            result: { kind: 'failure', excType: 'ValueError', message: 'bad poem', truncated: false, frames, raisedBy: frames[1] },
          }),
          {
            name: 'poem',
            firedBy: at(44, 'poem_finished'),
            firedAgainBy: at(49, 'connectionLost'),
            running: true,
          },
        ),
      ]),
    );
    expect(rowEl(root, 'd1').querySelector<HTMLElement>('.running-mark')!.hidden).toBe(false);
    expect(rowEl(root, 'd1').querySelector('.cell-result')!.textContent).toBe('ValueError: bad poem');
    expand(root, 'd1');
    runFrames();
    expect(detailTexts(root, 'd1')).toEqual(
      expect.arrayContaining([
        'result ValueError: bad poem',
        'fired by poem_finished() tale3_deferlater.py:44   fired again by connectionLost() tale3_deferlater.py:49 (AlreadyCalledError)',
        'running its callbacks now',
        'raised by callback parse() tale3_deferlater.py:12',
        'traceback 1/3 _runCallbacks() defer.py:650',
        'traceback 2/3 parse() tale3_deferlater.py:12',
        'traceback 3/3 (innermost) inner() tale3_deferlater.py:40',
        'unhandled now: a Failure and no errback left',
      ]),
    );
    const firedLinks = [...detailRow(root, 'd1', 'fired by').querySelectorAll<HTMLElement>('.link')];
    firedLinks[1].click();
    expect(host.posted.at(-1)).toEqual({ type: 'openLocation', file: TALE3, line: 49 });
    detailRow(root, 'd1', 'traceback 3/3').querySelector<HTMLElement>('.link')!.click();
    expect(host.posted.at(-1)).toEqual({ type: 'openLocation', file: TALE3, line: 40 });
  });
});

describe('orphans and the header', () => {
  it('marks an orphan, and what waits on one, as the bug it is', () => {
    const { root, send } = mount();
    const orphan = why('orphan', 'only its waiters refer to it');
    send(
      init(
        [
          view(waitingOn(1, 2), { name: 'outer', blockedBy: why('deferred', 'chained', [2]), root: { ...orphan, ids: [1, 2] } }),
          waitingFor(2, orphan, 'never'),
          waitingFor(3, why('timer', 'in 2.0 s · callLater'), 'fine'),
        ],
        { header: header({ pending: 3, orphans: 1 }) },
      ),
    );
    for (const key of ['d1', 'd2']) {
      expect(rowEl(root, key).classList.contains('orphan')).toBe(true);
      const mark = rowEl(root, key).querySelector<HTMLElement>('.orphan-mark')!;
      expect(mark.hidden).toBe(false);
      expect(mark.title).toMatch(/^Orphan: nothing can ever fire this Deferred/);
    }
    expect(stateCell(root, 'd1').textContent).toBe('waiting on never (#2) → orphan — nothing can ever fire it');
    expect(stateCell(root, 'd2').textContent).toBe('orphan — nothing can ever fire it');
    expect(rowEl(root, 'd3').classList.contains('orphan')).toBe(false);
    expect(rowEl(root, 'd3').querySelector<HTMLElement>('.orphan-mark')!.hidden).toBe(true);
    // The root line of what waits on the orphan leads to the orphan.
    expand(root, 'd1');
    detailRow(root, 'd1', 'root orphan').querySelector<HTMLElement>('.link')!.click();
    expect(selectedKey(root)).toBe('d2');
    const count = root.querySelector<HTMLElement>('[data-count="orphans"]')!;
    expect(count.textContent).toBe('1 orphan');
    expect(count.classList.contains('alarm')).toBe(true);
  });

  it('counts failed, unhandled and orphans without the alarm colour when there are none', () => {
    const { root, send } = mount();
    send(init([pendingView(1)], { header: header({ pending: 1 }) }));
    for (const name of ['failed', 'unhandled', 'orphans']) {
      const count = root.querySelector<HTMLElement>(`[data-count="${name}"]`)!;
      expect(count.textContent).toBe(`0 ${name}`);
      expect(count.classList.contains('alarm')).toBe(false);
    }
    send({ type: 'delta', sessionId: 's1', header: header({ failed: 2, unhandled: 1, orphans: 3 }), upserts: [], removed: [] });
    send({ type: 'full', sessionId: 's1', header: header({ failed: 2, unhandled: 1, orphans: 3 }), deferreds: [pendingView(1)] });
    expect(root.querySelector('[data-count="unhandled"]')!.textContent).toBe('1 unhandled');
    expect(root.querySelector('[data-count="orphans"]')!.textContent).toBe('3 orphans');
    for (const name of ['failed', 'unhandled', 'orphans'])
      expect(root.querySelector(`[data-count="${name}"]`)!.classList.contains('alarm'), name).toBe(true);
  });
});

describe('the "only stuck" filter', () => {
  const STOP = 1_700_000_100_000;
  /** At a stop at STOP: one of each kind of stuck, and as many that are not. */
  const program = (): DeferredView[] => [
    waitingFor(1, why('orphan', 'only its waiters refer to it'), 'orphan'),
    waitingFor(2, why('timer', 'overdue by 3.0 s · callLater'), 'overdue'),
    waitingFor(3, why('timer', 'in 1.8 s · deferLater · cancelled'), 'cancelled timer'),
    pendingView(4, { name: 'quiet', blockedBy: why('unknown', 'held by __main__.gates[0]'), changedAt: STOP - STUCK_QUIET_MS - 1 }),
    pendingView(5, { name: 'busy', blockedBy: why('unknown', 'held by __main__.gates[1]'), changedAt: STOP - 2000 }),
    waitingFor(6, why('timer', 'overdue by 40 ms · deferLater'), 'just due'),
    { ...waitingFor(7, why('timer', 'in 60.0 s · callLater'), 'later'), changedAt: STOP - 60_000 },
    firedView(8, 'None', { name: 'done', changedAt: STOP - 60_000 }),
    pendingView(9, { name: 'gone', collected: true, blockedBy: why('orphan', 'x'), changedAt: STOP - 60_000 }),
  ];
  const labels = (root: HTMLElement) => outline(root).map((l) => l.split(' |')[0].trim());
  const stuckBox = (root: HTMLElement) => root.querySelector<HTMLInputElement>('.only-stuck input')!;

  it('keeps orphans, overdue or cancelled timers and what has not changed for 10 s, at a stop; and is remembered', () => {
    const { root, send, runFrames, host, app } = mount();
    send(init(program(), { header: header({ clock: STOP }) }));
    expect(labels(root)).toHaveLength(9);
    expect(root.querySelector<HTMLElement>('.only-stuck')!.title).toContain('10 s');
    stuckBox(root).click();
    runFrames();
    expect(labels(root)).toEqual(['orphan', 'overdue', 'cancelled timer', 'quiet']);

    // Remembered like the other filters: a reloaded panel starts filtered.
    app.saveNow();
    const reloaded = mount(new RecordingHost(host.state));
    reloaded.send(init(program(), { header: header({ clock: STOP }) }));
    expect(stuckBox(reloaded.root).checked).toBe(true);
    expect(labels(reloaded.root)).toEqual(['orphan', 'overdue', 'cancelled timer', 'quiet']);
  });

  it('measures on the program clock: paused, time stands still; running, a Deferred turns stuck without any event', () => {
    const clock = [0];
    const { root, send, runFrames, app } = mount(new RecordingHost(), clock);
    const busy = pendingView(5, { name: 'busy', blockedBy: why('unknown', 'held by __main__.gates[1]'), changedAt: STOP - 2000 });
    send(init([busy], { header: header({ clock: STOP }) }));
    stuckBox(root).click();
    runFrames();
    expect(labels(root)).toEqual([]);
    // Paused (the session is stopped): a minute at the breakpoint changes nothing.
    clock[0] = 60_000;
    app.render();
    expect(labels(root)).toEqual([]);
    // Running and silent: 9 s more on our clock after the last event and it is stuck.
    send({ type: 'sessions', sessions: [{ ...SESSION, state: 'running' }], activeSessionId: 's1' });
    send({ type: 'delta', sessionId: 's1', header: header({ clock: STOP + 1 }), upserts: [], removed: [] });
    runFrames();
    expect(labels(root)).toEqual([]);
    clock[0] = 69_000;
    app.invalidate(true); // what the filter's own recheck timer does every second
    runFrames();
    expect(labels(root)).toEqual(['busy']);
    // It changes: no longer stuck.
    send({
      type: 'delta',
      sessionId: 's1',
      header: header({ clock: STOP + 9001 }),
      upserts: [{ ...busy, changedAt: STOP + 9000 }],
      removed: [],
    });
    runFrames();
    expect(labels(root)).toEqual([]);
  });

  it('turns itself off to reveal a Deferred that is not stuck', () => {
    const { root, send, runFrames, app } = mount();
    send(init(program(), { header: header({ clock: STOP }) }));
    stuckBox(root).click();
    runFrames();
    app.reveal(5);
    expect(stuckBox(root).checked).toBe(false);
    expect(selectedKey(root)).toBe('d5');
  });
});

describe('hostile why texts', () => {
  it('render as text: markup, control and bidi characters in every why field', () => {
    const { root, send, runFrames } = mount();
    const evil = '<img src=x onerror=alert(1)>\u202Egnp.exe\n';
    const evilAt: Location = { file: `/tmp/<script>alert(1)</script>${evil}.py`, line: 3, function: `<b>${evil}</b>` };
    send(
      init([
        pendingView(1, {
          name: 'x',
          blockedBy: why('connection', evil, [2], evilAt),
          root: why('unknown', evil, [1, 2], evilAt),
          firedBy: evilAt,
        }),
        pendingView(2, { name: evil, blockedBy: why(evil, evil) }),
      ]),
    );
    expand(root, 'd1');
    runFrames();
    expect(root.querySelectorAll('img, script, b').length).toBe(0);
    const cell = stateCell(root, 'd1').textContent!;
    expect(cell).toContain('<img src=x onerror=alert(1)>\\u202egnp.exe\\n');
    expect(cell).not.toMatch(/[\u202e\n]/);
    // The tooltip: the line, the path and the state, one a line — no newline of the program's.
    expect(stateCell(root, 'd1').title.split('\n')).toHaveLength(3);
    expect(stateCell(root, 'd1').title).not.toMatch(/\u202e/);
    // An unknown kind from a newer runtime reads as unknown, its icon too.
    expect(stateCell(root, 'd2').dataset.why).toBe('unknown');
    for (const r of detailTexts(root, 'd1')) expect(r).not.toMatch(/[\u202e\n]/);
  });
});
