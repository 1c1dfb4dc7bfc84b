// @vitest-environment happy-dom
/**
 * What a user does with the tree: expanding a row to its callbacks and creation site, opening
 * a location, filtering, searching, the keyboard and ARIA tree contract, view state restored
 * after a reload, and windowing that keeps 10,000 Deferreds out of the DOM.
 */
import { describe, expect, it } from 'vitest';
import type { DeferredView } from '../../src/protocol/protocol';
import { defaultViewState, MAX_REMEMBERED_EXPANSIONS, persistableViewState, rememberExpansion, restoreViewState } from '../../webview/host';
import {
  callbackPair,
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
} from './builders';

function key(root: HTMLElement, k: string): void {
  root.querySelector<HTMLElement>('[role="tree"]')!.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
}

function selectedKey(root: HTMLElement): string | null {
  const tree = root.querySelector('[role="tree"]')!;
  const id = tree.getAttribute('aria-activedescendant');
  return id ? (root.querySelector(`#${CSS.escape(id)}`) as HTMLElement).dataset.key! : null;
}

const notebook = (): DeferredView[] => [
  pendingView(1, { name: 'a', callbacks: [callbackPair('b_callback', 86), callbackPair('on_done', 90)] }),
  firedView(2, 'None', { name: 'b' }),
  pendingView(3, { name: 'c', collected: true, collectedAt: Date.now() }),
];

describe('webview interaction', () => {
  it('expands a row to show its pending callbacks, creation site and timestamps', () => {
    const { root, send } = mount();
    send(init(notebook()));
    expect(rowEl(root, 'd1').getAttribute('aria-expanded')).toBe('false');
    (rowEl(root, 'd1').querySelector('.twistie') as HTMLElement).click();
    expect(rowEl(root, 'd1').getAttribute('aria-expanded')).toBe('true');
    const details = rows(root)
      .filter((r) => r.key.startsWith('d1.'))
      .map((r) => r.text);
    expect(details[0]).toBe('1. callback b_callback notebook.py:86   errback _failthru defer.py:249');
    expect(details[1]).toBe('2. callback on_done notebook.py:90   errback _failthru defer.py:249');
    expect(details[2]).toBe('created in experiment() notebook.py:11');
    expect(details[3]).toMatch(/^created \d\d:\d\d:\d\d\.\d{3} {3}not fired$/);
    expect(rows(root).find((r) => r.key === 'd1.0')?.level).toBe(2);
  });

  it('updates a live row in place, so a click started before an update still lands', () => {
    const { root, send, runFrames } = mount();
    send(init(notebook()));
    const twistie = rowEl(root, 'd1').querySelector<HTMLElement>('.twistie')!;
    send({ type: 'delta', sessionId: 's1', header: header(), upserts: [firedView(1, "'new'", { name: 'a2' })], removed: [] });
    runFrames();
    expect(rowEl(root, 'd1').querySelector('.cell-label')!.textContent).toBe('a2');
    expect(twistie.isConnected).toBe(true);
    twistie.click();
    expect(rowEl(root, 'd1').getAttribute('aria-expanded')).toBe('true');
  });

  it('posts openLocation with file and line when a location is clicked', () => {
    const { root, send, host } = mount();
    send(init(notebook()));
    (rowEl(root, 'd1').querySelector('.twistie') as HTMLElement).click();
    (rowEl(root, 'd1.1').querySelector('.link') as HTMLElement).click();
    expect(host.posted.at(-1)).toEqual({ type: 'openLocation', file: '/work/examples/notebook.py', line: 90 });
  });

  it('shows "continues #N" for a _CONTINUE pair and jumps to that Deferred when activated', () => {
    const { root, send } = mount();
    send(
      init([
        pendingView(1, { name: 'a', waitingOn: 2, called: true, hasResult: true, result: { kind: 'deferred', id: 2 } }),
        pendingView(2, { name: 'b', callbacks: [{ callback: null, errback: null, continues: 1 }] }),
      ]),
    );
    (rowEl(root, 'd2').querySelector('.twistie') as HTMLElement).click();
    expect(rowEl(root, 'd2.0').textContent).toBe('1. continues a (#1)');
    (rowEl(root, 'd2.0').querySelector('.link') as HTMLElement).click();
    expect(selectedKey(root)).toBe('d1');
  });

  it('reveals a Deferred from a reference row: opens its collapsed parents and selects it', () => {
    const { root, send } = mount(new RecordingHost({ expanded: [[1, false]] }));
    send(
      init([
        pendingView(1, { type: 'DeferredList', members: [3] }),
        pendingView(2, { type: 'DeferredList', members: [3] }),
        pendingView(3, { name: 'shared' }),
      ]),
    );
    expect(rows(root).map((r) => r.key)).toEqual(['d1', 'd2', 'd2>3']);
    (rowEl(root, 'd2>3').querySelector('.link') as HTMLElement).click();
    expect(rows(root).map((r) => r.key)).toEqual(['d1', 'd3', 'd2', 'd2>3']);
    expect(selectedKey(root)).toBe('d3');
  });

  it('hides fired (not failed) and collected Deferreds on request, keeping what is nested under them', () => {
    const { root, send, runFrames } = mount();
    send(
      init([
        ...notebook(),
        firedView(4, '1', { type: 'DeferredList', members: [5] }),
        pendingView(5, { name: 'member' }),
        view(failed(6, 'ValueError', 'boom'), { name: 'boom' }),
      ]),
    );
    const toggle = (index: number) => {
      const box = root.querySelectorAll<HTMLInputElement>('.tools input[type="checkbox"]')[index];
      box.click();
      runFrames();
    };
    toggle(0);
    const boom = 'boom | ValueError: boom | 0';
    expect(outline(root)).toEqual(['a | N/A | 2', 'c | N/A | 0', 'member | N/A | 0', boom]);
    toggle(1);
    expect(outline(root)).toEqual(['a | N/A | 2', 'member | N/A | 0', boom]);
    toggle(0);
    expect(outline(root).map((l) => l.split(' |')[0].trim())).toEqual(['a', 'b', 'Deferred #4 (DeferredList)', 'member', 'boom']);
  });

  it('searches by label and by function name, showing the path to a nested match', () => {
    const { root, send, runFrames } = mount();
    send(
      init([
        pendingView(1, { name: 'a', waitingOn: 2 }),
        pendingView(2, { name: 'b', callbacks: [callbackPair('on_done')] }),
        pendingView(3, { name: 'other', created: { file: '/x.py', line: 3, function: 'getPoetry' } }),
      ]),
    );
    const search = root.querySelector<HTMLInputElement>('input.search')!;
    const type = (text: string) => {
      search.value = text;
      search.dispatchEvent(new Event('input'));
      runFrames();
    };
    type('on_DONE');
    expect(outline(root)).toEqual(['a | N/A | 0', '  b | N/A | 1']);
    type('getpoetry');
    expect(outline(root)).toEqual(['other | N/A | 0']);
    type('nothing like it');
    expect(outline(root)).toEqual([]);
    expect(root.dataset.empty).toBe('filtered');
    type('');
    expect(outline(root).length).toBe(3);
  });

  it('moves with the keyboard and keeps the ARIA tree attributes right', () => {
    const { root, send } = mount();
    send(init([pendingView(1, { name: 'a', waitingOn: 2 }), pendingView(2, { name: 'b' }), pendingView(3, { name: 'c' })]));
    const tree = root.querySelector('[role="tree"]')!;
    expect(tree.getAttribute('tabindex')).toBe('0');
    // a is open because it nests b, showing b (level 2) but not its own details yet.
    key(root, 'Home');
    expect(selectedKey(root)).toBe('d1');
    expect(rowEl(root, 'd1').getAttribute('aria-selected')).toBe('true');
    expect(rowEl(root, 'd1').getAttribute('aria-expanded')).toBe('true');
    expect(rowEl(root, 'd1').getAttribute('aria-level')).toBe('1');
    expect(rowEl(root, 'd2').getAttribute('aria-level')).toBe('2');
    expect(rowEl(root, 'd1').getAttribute('aria-posinset')).toBe('1');
    expect(rowEl(root, 'd1').getAttribute('aria-setsize')).toBe('2');
    expect(rows(root).map((r) => r.key)).toEqual(['d1', 'd2', 'd3']);
    // Right adds a's details (before b); Right again goes to its first child.
    key(root, 'ArrowRight');
    expect(
      rows(root)
        .map((r) => r.key)
        .slice(0, 2),
    ).toEqual(['d1', 'd1.0']);
    expect(rowEl(root, 'd2').getAttribute('aria-posinset')).toBe(String(rows(root).filter((r) => r.key.startsWith('d1.')).length + 1));
    key(root, 'ArrowRight');
    expect(selectedKey(root)).toBe('d1.0');
    key(root, 'ArrowLeft');
    key(root, 'ArrowLeft');
    expect(rowEl(root, 'd1').getAttribute('aria-expanded')).toBe('false');
    expect(outline(root)).toEqual(['a | N/A | 0', 'c | N/A | 0']);
    key(root, 'ArrowDown');
    expect(selectedKey(root)).toBe('d3');
    expect(rowEl(root, 'd1').getAttribute('aria-selected')).toBe('false');
    key(root, 'Enter');
    expect(rowEl(root, 'd3').getAttribute('aria-expanded')).toBe('true');
    key(root, 'ArrowRight');
    expect(selectedKey(root)).toBe('d3.0');
    key(root, 'ArrowLeft');
    expect(selectedKey(root)).toBe('d3');
    key(root, ' ');
    expect(rowEl(root, 'd3').getAttribute('aria-expanded')).toBe('false');
    key(root, 'Home');
    key(root, 'ArrowRight');
    expect(rowEl(root, 'd1').getAttribute('aria-expanded')).toBe('true');
    key(root, 'End');
    expect(selectedKey(root)).toBe('d3');
  });

  it('restores filters, search, expansion, selection and scroll from the saved state', async () => {
    const first = mount();
    const many = Array.from({ length: 300 }, (_, i) => pendingView(i + 1, { callbacks: i === 4 ? [callbackPair('x')] : [] }));
    first.send(init(many));
    (rowEl(first.root, 'd5').querySelector('.twistie') as HTMLElement).click();
    first.root.querySelectorAll<HTMLInputElement>('.tools input[type="checkbox"]')[0].click();
    first.runFrames();
    key(first.root, 'ArrowDown');
    const tree = first.root.querySelector<HTMLElement>('[role="tree"]')!;
    tree.scrollTop = 880;
    tree.dispatchEvent(new Event('scroll'));
    first.app.saveNow();
    const saved = first.host.state as Record<string, unknown>;
    expect(saved).toMatchObject({ hideFired: true, hideCollected: false, search: '', expanded: [[5, true]], scrollTop: 880 });

    // A reloaded webview gets the state back from getState() and the data from init.
    const second = mount(new RecordingHost(saved));
    expect(second.root.querySelectorAll<HTMLInputElement>('.tools input[type="checkbox"]')[0].checked).toBe(true);
    second.send(init(many));
    expect(second.root.querySelector<HTMLElement>('[role="tree"]')!.scrollTop).toBe(880);
    // Scrolled down, d5 is out of the window; its expansion shows in the row list.
    expect(second.app.rowModel.rows.find((r) => r.key === 'd5')).toMatchObject({ expanded: true });
    expect(second.app.rowModel.rows.some((r) => r.key === 'd5.0')).toBe(true);
    expect(selectedKey(second.root)).toBe(saved.selectedKey);
  });

  it('keeps open rows across a reload of the same session, forgets them in another (a new run)', () => {
    const stale = { sessionId: 'old-run', expanded: [[1, true]], selectedKey: 'd1', scrollTop: 0 };
    const { root, send, app, host } = mount(new RecordingHost(stale));
    const one = () => [pendingView(1, { callbacks: [callbackPair('x')] })];
    send(init(one()));
    expect(rowEl(root, 'd1').getAttribute('aria-expanded')).toBe('false');
    expect(app.tree.selectedKey).toBeNull();
    (rowEl(root, 'd1').querySelector('.twistie') as HTMLElement).click();
    app.saveNow();

    const again = mount(new RecordingHost(host.state));
    again.send(init(one()));
    expect(rowEl(again.root, 'd1').getAttribute('aria-expanded')).toBe('true');
    again.send({ type: 'sessions', sessions: [SESSION, { ...SESSION, id: 's2' }], activeSessionId: 's2' });
    again.send({ type: 'full', sessionId: 's2', header: header({ sessionId: 's2' }), deferreds: one() });
    expect(rowEl(again.root, 'd1').getAttribute('aria-expanded')).toBe('false');
  });

  it('ignores a malformed saved state', () => {
    const { root, send } = mount(
      new RecordingHost({
        hideFired: 'yes',
        expanded: [
          ['x', 1],
          [2, false],
        ],
        scrollTop: -5,
      }),
    );
    send(init([pendingView(1), pendingView(2, { waitingOn: 3 }), pendingView(3)]));
    expect(outline(root)).toEqual(['Deferred #1 | N/A | 0', 'Deferred #2 | N/A | 0']);
  });

  it('remembers at most MAX_REMEMBERED_EXPANSIONS choices, forgetting the oldest', () => {
    const state = defaultViewState();
    for (let id = 1; id <= MAX_REMEMBERED_EXPANSIONS + 10; id++) rememberExpansion(state, id, true);
    rememberExpansion(state, 11, false);
    expect(state.expanded.size).toBe(MAX_REMEMBERED_EXPANSIONS);
    expect(state.expanded.has(10)).toBe(false);
    expect([...state.expanded.keys()].at(-1)).toBe(11);
    expect(restoreViewState(JSON.parse(JSON.stringify(persistableViewState(state)))).expanded).toEqual(state.expanded);
  });

  it('keeps only the visible window of 10,000 Deferreds in the DOM', () => {
    const { root, send, runFrames } = mount();
    const many = Array.from({ length: 10_000 }, (_, i) => pendingView(i + 1));
    send(init(many));
    const tree = root.querySelector<HTMLElement>('[role="tree"]')!;
    const count = () => root.querySelectorAll('[role="treeitem"]').length;
    expect(count()).toBeLessThan(80);
    expect(root.querySelector<HTMLElement>('.tree-spacer')!.style.height).toBe(`${10_000 * 22}px`);
    key(root, 'End');
    expect(selectedKey(root)).toBe('d10000');
    expect(tree.scrollTop).toBeGreaterThan(200_000);
    expect(count()).toBeLessThan(80);
    expect(rows(root).at(-1)?.label).toBe('Deferred #10000');
    // A delta touching thousands of off-screen rows still draws only the window.
    send({
      type: 'delta',
      sessionId: 's1',
      header: header({ pending: 10_000 }),
      upserts: many.slice(0, 5000).map((d) => ({ ...d, callbacks: [callbackPair('y')] })),
      removed: [],
    });
    runFrames();
    expect(count()).toBeLessThan(80);
  });
});
