/**
 * The graph's model and layout on random graphs: every Deferred in scope drawn exactly once
 * (or inside one group), no two boxes overlapping, edges of every kind, positions unchanged by
 * updates that touch only results or the words of a root of a wait, identical Deferreds
 * collapsed and middle-cut labels distinct; which non-Deferred roots become nodes.
 */
import { describe, expect, it } from 'vitest';
import type { BlockedBy, DeferredView } from '../../src/protocol/protocol';
import { middleCut } from '../../webview/format';
import { NODE_HEIGHT, NODE_WIDTH, tidyLayout } from '../../webview/graphLayout';
import { buildGraph, DEFAULT_GRAPH_OPTIONS, type GraphModel, ROOT_NODE_KINDS, rootOf } from '../../webview/graphModel';
import { groupSiblings, subtreeShapes } from '../../webview/grouping';
import { buildStructure } from '../../webview/treeStructure';
import { firedView, pendingView } from './builders';

/** A seeded generator, so a failure names the graph that caused it. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const wait = (kind: string, text: string, ids: number[], line: number | null = null): BlockedBy => ({
  kind,
  text,
  ids,
  location: line === null ? null : { file: '/app.py', line, function: 'f' },
});

/**
 * N Deferreds with every relation: chains, results, coroutine awaits, lists, a 1.2 runtime's
 * timers, and the roots of waits of every kind (some with a path through another Deferred, so
 * not a node of their own), created at distinct sites.
 */
function randomGraph(n: number, seed: number): Map<number, DeferredView> {
  const r = random(seed);
  const store = new Map<number, DeferredView>();
  for (let id = 1; id <= n; id++) {
    const roll = r();
    const target = 1 + Math.floor(r() * n);
    const created = { file: '/app.py', line: id, function: `f${id}` };
    let d: DeferredView;
    if (roll < 0.25 && target !== id)
      d = pendingView(id, { waitingOn: target, called: true, created, root: wait('timer', 'in 1 s', [id, target]) });
    else if (roll < 0.35 && target !== id)
      d = pendingView(id, { called: true, hasResult: true, result: { kind: 'deferred', id: target }, created });
    else if (roll < 0.45 && target !== id)
      d = pendingView(id, {
        created,
        coroutine: { kind: 'coroutine', name: 'job', file: null, line: null, finished: false, waitingOn: target },
      });
    else if (roll < 0.5)
      d = pendingView(id, { created, type: 'DeferredList', members: [1, 2, 3].map(() => 1 + Math.floor(r() * n)).filter((m) => m !== id) });
    else if (roll < 0.55) d = pendingView(id, { created, timer: { callAt: 5, delay: 1, function: 'tick', active: true } });
    else if (roll < 0.65) {
      const kind = ROOT_NODE_KINDS[id % ROOT_NODE_KINDS.length];
      d = pendingView(id, { created, blockedBy: wait(kind, `${kind} ${id}`, []), root: wait(kind, `${kind} ${id}`, [id], id) });
    } else d = roll < 0.8 ? pendingView(id, { created }) : firedView(id, `'${id}'`, { created });
    store.set(id, d);
  }
  return store;
}

function layout(model: GraphModel) {
  const parent = Int32Array.from(model.nodes.map((n) => n.parent));
  const depth = Int32Array.from(model.nodes.map((n) => n.depth));
  return tidyLayout({ parent, depth });
}

const whole = { ...DEFAULT_GRAPH_OPTIONS, whole: true, limit: 1_000_000, threshold: 0 };

describe('graph layout of random graphs', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`places every Deferred once, without overlap (seed ${seed})`, () => {
      const store = randomGraph(400, seed);
      const model = buildGraph(store, buildStructure(store), whole);
      const deferredNodes = model.nodes.filter((n) => n.shape === 'deferred').map((n) => n.id);
      expect(new Set(deferredNodes).size).toBe(deferredNodes.length);
      expect(deferredNodes.sort((a, b) => a - b)).toEqual([...store.keys()]);
      expect(model.omitted).toBe(0);
      const { x, y } = layout(model);
      const boxes = model.nodes.map((_, i) => [x[i], y[i]] as const);
      // Sorted by column then row, an overlap can only be between neighbours.
      const order = boxes.map((_, i) => i).sort((a, b) => boxes[a][0] - boxes[b][0] || boxes[a][1] - boxes[b][1]);
      for (let k = 1; k < order.length; k++) {
        const [ax, ay] = boxes[order[k - 1]];
        const [bx, by] = boxes[order[k]];
        const overlap = Math.abs(ax - bx) < NODE_WIDTH && Math.abs(ay - by) < NODE_HEIGHT;
        expect(overlap, `nodes ${model.nodes[order[k - 1]].key} and ${model.nodes[order[k]].key}`).toBe(false);
      }
      for (const node of model.nodes) if (node.parent >= 0) expect(node.parent).toBeLessThan(model.index.get(node.key)!);
    });
  }

  it('draws edges of every kind, each between two drawn nodes', () => {
    const store = randomGraph(400, 7);
    const model = buildGraph(store, buildStructure(store), whole);
    expect(new Set(model.edges.map((e) => e.kind))).toEqual(new Set(['waitsOn', 'resultIs', 'awaits', 'memberOf', 'firedBy', 'heldBy']));
    expect(new Set(model.nodes.map((n) => n.shape))).toEqual(new Set(['deferred', ...ROOT_NODE_KINDS]));
    // A root node hangs from the Deferred whose wait ends at it, one per Deferred.
    for (const node of model.nodes.filter((n) => n.shape !== 'deferred')) {
      expect(model.nodes[node.parent].key).toBe(`d${node.id}`);
      expect(node.key).toBe(`r${node.id}`);
    }
    for (const e of model.edges) {
      expect(model.index.has(e.from)).toBe(true);
      expect(model.index.has(e.to)).toBe(true);
    }
  });

  it('keeps every position when updates touch only results', () => {
    const store = randomGraph(300, 11);
    const structure = buildStructure(store);
    const before = layout(buildGraph(store, structure, whole));
    for (const [id, d] of store)
      if (id % 3 === 0 && d.result?.kind !== 'deferred')
        store.set(id, { ...d, hasResult: true, result: { kind: 'value', typeName: 'int', repr: `${id * 7}`, truncated: false } });
    const after = layout(buildGraph(store, buildStructure(store), whole));
    expect([...after.x]).toEqual([...before.x]);
    expect([...after.y]).toEqual([...before.y]);
  });

  it('keeps every position when a root of a wait changes its words or its kind', () => {
    const store = randomGraph(300, 14);
    const before = layout(buildGraph(store, buildStructure(store), whole));
    let changed = 0;
    for (const [id, d] of store) {
      const r = rootOf(d);
      if (!r?.root) continue;
      // A timer's countdown moves on; a holder "not analysed yet" turns out to be a connection.
      const kind = r.kind === 'unknown' ? 'connection' : r.kind;
      store.set(id, { ...d, root: { ...r.root, kind, text: `${r.root.text}, later` } });
      changed++;
    }
    expect(changed).toBeGreaterThan(10);
    const after = layout(buildGraph(store, buildStructure(store), whole));
    expect([...after.x]).toEqual([...before.x]);
    expect([...after.y]).toEqual([...before.y]);
  });

  it('appends a new root below the others without moving them', () => {
    const store = randomGraph(200, 12);
    const before = layout(buildGraph(store, buildStructure(store), whole));
    store.set(201, pendingView(201));
    const model = buildGraph(store, buildStructure(store), whole);
    const after = layout(model);
    expect([...after.y.slice(0, before.y.length)]).toEqual([...before.y]);
    expect(after.y[model.index.get('d201')!]).toBeGreaterThan(Math.max(...before.y));
  });

  it('lays out 1,000 nodes in well under a frame', () => {
    const store = randomGraph(1000, 13);
    const model = buildGraph(store, buildStructure(store), whole);
    const started = performance.now();
    layout(model);
    expect(performance.now() - started).toBeLessThan(16);
  });
});

describe('identical Deferreds collapsed (one function for both views)', () => {
  const list = (): Map<number, DeferredView> => {
    const store = new Map<number, DeferredView>();
    const members = Array.from({ length: 15 }, (_, i) => 2 + i);
    store.set(1, pendingView(1, { name: 'dl', type: 'DeferredList', members }));
    for (const m of members) store.set(m, pendingView(m, { created: { file: '/tale.py', line: 30, function: 'install' } }));
    return store;
  };

  it('shows a DeferredList of 15 identical members as one node ×15 that expands', () => {
    const store = list();
    const structure = buildStructure(store);
    const collapsed = buildGraph(store, structure, { ...DEFAULT_GRAPH_OPTIONS, whole: true });
    expect(collapsed.nodes.map((n) => [n.key, n.group?.length ?? 1])).toEqual([
      ['d1', 1],
      ['d2', 15],
    ]);
    expect(collapsed.edges).toEqual([{ from: 'd1', to: 'd2', kind: 'memberOf' }]);
    const expanded = buildGraph(store, structure, { ...DEFAULT_GRAPH_OPTIONS, whole: true, expandedGroups: new Set(['g2']) });
    expect(expanded.nodes).toHaveLength(16);
  });

  it('does not group Deferreds whose state or nested Deferreds differ', () => {
    const store = list();
    store.set(5, firedView(5, 'None', { created: { file: '/tale.py', line: 30, function: 'install' } }));
    const structure = buildStructure(store);
    const entries = groupSiblings(store.get(1)!.members!, subtreeShapes(structure, store), 8, new Set());
    expect(entries.map((e) => e.group?.length ?? 1)).toEqual([14, 1]);
  });

  it('shows the selected Deferred’s connected part by default', () => {
    const store = list();
    store.set(40, pendingView(40, { name: 'elsewhere' }));
    const model = buildGraph(store, buildStructure(store), { ...DEFAULT_GRAPH_OPTIONS, focusId: 1 });
    expect(model.scope).toBe('connected');
    expect(model.index.has('d40')).toBe(false);
    expect(model.index.has('d1')).toBe(true);
  });
});

describe('the roots of waits drawn as nodes', () => {
  it('draws the root beside the Deferred its path ends at, and only there', () => {
    // a waits on b, b on a thread job: the job is drawn once, beside b.
    const a = pendingView(1, { waitingOn: 2, called: true, root: wait('thread', 'fetch() running', [1, 2]) });
    const b = pendingView(2, { blockedBy: wait('thread', 'fetch() running', []), root: wait('thread', 'fetch() running', [2], 9) });
    expect(rootOf(a)).toBeNull();
    expect(rootOf(b)).toMatchObject({ kind: 'thread', edge: 'firedBy' });
    const store = new Map([
      [1, a],
      [2, b],
    ]);
    const model = buildGraph(store, buildStructure(store), whole);
    expect(model.nodes.map((n) => [n.key, n.shape])).toEqual([
      ['d1', 'deferred'],
      ['d2', 'deferred'],
      ['r2', 'thread'],
    ]);
    expect(model.edges).toContainEqual({ from: 'd2', to: 'r2', kind: 'firedBy' });
  });

  it('says "fired by" for what will fire it and "held by" for what holds it', () => {
    const edge = (kind: string) => rootOf(pendingView(5, { root: wait(kind, 'x', [5]) }))?.edge;
    expect(['timer', 'thread', 'process'].map(edge)).toEqual(['firedBy', 'firedBy', 'firedBy']);
    expect(['connection', 'lock', 'queue', 'unknown'].map(edge)).toEqual(['heldBy', 'heldBy', 'heldBy', 'heldBy']);
  });

  it('draws no node for a Deferred kind, an orphan, a cycle, or a kind it does not know', () => {
    for (const kind of ['deferred', 'list', 'generator', 'orphan', 'from-a-newer-runtime'])
      expect(rootOf(pendingView(5, { root: wait(kind, 'x', [5]) })), kind).toBeNull();
    // A cycle's path never ends at the Deferred it starts from.
    expect(rootOf(pendingView(5, { root: wait('unknown', 'a cycle of Deferreds waiting on each other', [5, 6, 7]) }))).toBeNull();
  });

  it('falls back to a 1.2 runtime’s deferLater timer, while it is active and the Deferred not called', () => {
    const timer = { callAt: 5, delay: 1, function: 'tick', active: true };
    expect(rootOf(pendingView(5, { timer }))).toEqual({ kind: 'timer', root: null, edge: 'firedBy' });
    expect(rootOf(pendingView(5, { timer: { ...timer, active: false } }))).toBeNull();
  });
});

describe('labels cut in the middle', () => {
  it('keeps labels that differ only at the end distinct, and bounded', () => {
    const labels = Array.from({ length: 15 }, (_, i) => `installation for Customer ${i + 1}`);
    const cut = labels.map((l) => middleCut(l, 16));
    expect(new Set(cut).size).toBe(15);
    expect(cut[11]).toBe('installa…omer 12');
    for (const c of cut) expect(c.length).toBeLessThanOrEqual(16);
  });

  it('escapes control and bidi characters on both sides of the cut', () => {
    expect(middleCut('\u202eevil\nname that is long enough to be cut\u202e', 20)).not.toMatch(/[\u202e\n]/);
  });
});
