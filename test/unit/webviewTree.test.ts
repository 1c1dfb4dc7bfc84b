// @vitest-environment happy-dom
/**
 * The pure row builder behind the tree: every Deferred placed exactly once whatever the shape
 * (cycles, shared members, a 10,000-link chain), detail line counts that match the lines
 * drawn, and in-place patching that refuses updates which would change the rows' shape.
 */
import { describe, expect, it } from 'vitest';
import { detailLineCount, detailLines } from '../../src/model/view';
import type { DeferredView } from '../../src/protocol/protocol';
import { defaultViewState } from '../../webview/host';
import { RowModel } from '../../webview/rowModel';
import { flatten } from '../../webview/treeFlatten';
import { indexDeferredRows, patchLeafRoots, patchRows } from '../../webview/treePatch';
import { buildStructure, type Row } from '../../webview/treeStructure';
import { callbackPair, firedView, pendingView } from './builders';

const storeOf = (ds: DeferredView[]) => new Map(ds.map((d) => [d.id, d]));
const shape = (rows: Row[]) => rows.filter((r) => r.kind !== 'detail').map((r) => `${r.level}:${r.key}`);

describe('tree rows', () => {
  it('places a leaf hanging off a cycle once, under the cycle, even when its id is lowest', () => {
    const store = storeOf([
      pendingView(1),
      pendingView(2, { waitingOn: 3 }),
      pendingView(3, { waitingOn: 2, type: 'DeferredList', members: [1] }),
    ]);
    const s = buildStructure(store);
    expect(s.roots).toEqual([2]);
    expect(shape(flatten(store, defaultViewState(), s))).toEqual(['1:d2', '2:d3', '3:d3>2', '3:d1']);
  });

  it('places every Deferred exactly once in random graphs', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const n = 1 + rand(30);
      const ds = Array.from({ length: n }, (_, i) => {
        const r = rand(4);
        if (r === 0) return pendingView(i + 1, { waitingOn: 1 + rand(n) });
        if (r === 1) return pendingView(i + 1, { type: 'DeferredList', members: Array.from({ length: rand(4) }, () => 1 + rand(n + 3)) });
        return pendingView(i + 1);
      });
      // Collapsed groups and chains off: each Deferred must appear as its own row.
      const rows = flatten(storeOf(ds), {
        ...defaultViewState(),
        groupThreshold: 0,
        chainMinLinks: 0,
        expanded: new Map(ds.map((d) => [d.id, true])),
      });
      const drawn = rows.filter((r) => r.kind === 'deferred').map((r) => (r.kind === 'deferred' ? r.d.id : 0));
      expect(drawn.sort((a, b) => a - b)).toEqual(ds.map((d) => d.id));
    }
  });

  it('handles a 10,000-link chain without recursion, as one chain row whose links open flat', () => {
    const ds = Array.from({ length: 10_000 }, (_, i) => pendingView(i + 1, i < 9_999 ? { waitingOn: i + 2 } : {}));
    const rows = flatten(storeOf(ds), defaultViewState());
    expect(rows.map((r) => [r.kind, r.key])).toEqual([['chain', 'c1']]);
    const open = flatten(storeOf(ds), { ...defaultViewState(), expandedChains: new Set([1]) }).filter((r) => r.kind === 'deferred');
    expect(open.length).toBe(10_000);
    expect(new Set(open.map((r) => r.level))).toEqual(new Set([2]));
    // Without chain rows, the staircase of old: one level per link.
    const staircase = flatten(storeOf(ds), { ...defaultViewState(), chainMinLinks: 0 }).filter((r) => r.kind === 'deferred');
    expect(staircase.at(-1)!.level).toBe(10_000);
  });

  it('counts detail lines exactly as many as it draws', () => {
    const variants: DeferredView[] = [
      pendingView(1),
      pendingView(2, { callbacks: Array.from({ length: 120 }, (_, i) => callbackPair(`f${i}`)) }),
      firedView(3, '1', { paused: 2, timer: { callAt: 1, delay: 1, function: 'f', active: true } }),
      pendingView(4, {
        members: [1],
        coroutine: { kind: 'coroutine', name: 'main', file: null, line: null, finished: false, waitingOn: 1 },
      }),
      pendingView(5, {
        unhandledFailure: { kind: 'failure', excType: 'ValueError', message: 'boom', truncated: false, frames: [], raisedBy: null },
        collected: true,
        collectedAt: 5,
      }),
    ];
    for (const d of variants) expect(detailLines(d, () => undefined).length).toBe(detailLineCount(d));
  });

  it('patches content in place, splices detail lines, and refuses visibility changes', () => {
    const a = pendingView(1, { type: 'DeferredList', members: [3], callbacks: [callbackPair('x')] });
    const store = storeOf([a, pendingView(2), pendingView(3)]);
    const options = {
      ...defaultViewState(),
      expanded: new Map([
        [1, true],
        [2, true],
      ]),
    };
    let rows = flatten(store, options);
    const index = indexDeferredRows(rows);
    const renamed = { ...a, callbacks: [callbackPair('y')] };
    expect(patchRows(rows, index, [[a, renamed]], options)).toBe(rows);
    expect(rows[0].kind === 'deferred' && rows[0].d).toBe(renamed);

    // A second callback on the expanded list and on d2: both get one more detail line,
    // and the result is exactly what a full rebuild gives.
    const grown = { ...renamed, callbacks: [callbackPair('y'), callbackPair('z')] };
    const d2 = { ...pendingView(2), callbacks: [callbackPair('p'), callbackPair('q')] };
    rows = patchRows(
      rows,
      index,
      [
        [renamed, grown],
        [store.get(2)!, d2],
      ],
      options,
    )!;
    store.set(1, grown);
    store.set(2, d2);
    const rebuilt = flatten(store, options);
    const plain = (rs: Row[]) => rs.map((r) => ({ ...r, d: undefined }));
    expect(plain(rows)).toEqual(plain(rebuilt));
    expect(index).toEqual(indexDeferredRows(rebuilt));

    const hiding = { ...options, hideFired: true };
    expect(patchRows(rows, index, [[pendingView(3), firedView(3, '1')]], hiding)).toBeNull();
  });

  it('adds and removes lone top-level Deferreds in place, exactly as a rebuild would', () => {
    const store = storeOf([
      pendingView(1, { type: 'DeferredList', members: [2] }),
      pendingView(2),
      pendingView(3),
      firedView(4, '1'),
      pendingView(5),
    ]);
    const options = { ...defaultViewState(), hideFired: true, expanded: new Map([[7, true]]) };
    const structure = buildStructure(store);
    const rows = flatten(store, options, structure);
    const index = indexDeferredRows(rows);
    store.delete(3);
    store.set(6, firedView(6, '2'));
    store.set(7, pendingView(7));
    const patched = patchLeafRoots(structure, rows, index, store, [6, 7], [3], options)!;
    const rebuilt = flatten(store, options);
    expect(patched).toEqual(rebuilt);
    expect(index).toEqual(indexDeferredRows(rebuilt));
    expect(structure.roots).toEqual(buildStructure(store).roots);
  });

  it('refuses to patch what could be nested: a member removed, a newcomer someone points at, or one that points', () => {
    const make = () => {
      const store = storeOf([pendingView(1, { type: 'DeferredList', members: [2, 9] }), pendingView(2), pendingView(3)]);
      const structure = buildStructure(store);
      const rows = flatten(store, defaultViewState(), structure);
      return { store, structure, rows, index: indexDeferredRows(rows) };
    };
    let t = make();
    t.store.delete(2);
    expect(patchLeafRoots(t.structure, t.rows, t.index, t.store, [], [2], defaultViewState())).toBeNull();
    t = make();
    t.store.set(9, pendingView(9));
    expect(patchLeafRoots(t.structure, t.rows, t.index, t.store, [9], [], defaultViewState())).toBeNull();
    t = make();
    t.store.set(10, pendingView(10, { waitingOn: 3 }));
    expect(patchLeafRoots(t.structure, t.rows, t.index, t.store, [10], [], defaultViewState())).toBeNull();
    expect(t.structure.roots).toEqual([1, 3]);
  });

  it('row model: patched updates end in the rows a rebuild of the same Deferreds gives', () => {
    const options = { ...defaultViewState(), expanded: new Map([[2, true]]) };
    const model = new RowModel(() => 0);
    model.replace([pendingView(1, { type: 'DeferredList', members: [2] }), pendingView(2), pendingView(3), { id: 'bad' }]);
    expect(model.size).toBe(3);
    model.update(options);
    model.apply([pendingView(2, { callbacks: [callbackPair('x')] }), firedView(4, '1'), null], [3]);
    expect(model.pendingUpdates).toBe(3);
    expect(model.needsRebuild).toBe(false);
    const patched = model.update(options);
    const fresh = new RowModel(() => 0);
    fresh.replace([1, 2, 4].map((id) => model.lookup(id)!));
    expect(patched).toEqual(fresh.update(options));
    expect(model.ancestors(2)).toEqual([1]);
    model.apply([pendingView(4, { waitingOn: 1 })], []);
    expect(model.needsRebuild).toBe(true);
  });
});
