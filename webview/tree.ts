/**
 * Turns the set of Deferreds into the flat list of rows the virtualised view draws.
 *
 * Nesting follows what a Deferred waits on: `a` waiting on `b` (Twisted's `_chainedTo`, or a
 * Deferred result) shows `b` under `a`, a DeferredList shows its members, a coroutine's Deferred
 * shows what the coroutine awaits. Roots are the Deferreds nothing nests; a Deferred reachable
 * twice is drawn once and referenced elsewhere, and cycles fall back to the lowest id as a root.
 * Everything is iterative (a 10,000-link chain must not overflow the stack) and O(n) per build.
 */
import type { DeferredView } from '../src/protocol/protocol';
import { detailRows, type Segment } from './details';

export type Relation = 'chained' | 'member' | 'awaited';

export interface DeferredRow {
  kind: 'deferred';
  key: string;
  level: number;
  parentKey: string | null;
  d: DeferredView;
  expanded: boolean;
  relation: Relation | null;
  posinset: number;
  setsize: number;
}

export interface DetailRow {
  kind: 'detail';
  key: string;
  level: number;
  parentKey: string;
  segments: Segment[];
  posinset: number;
  setsize: number;
}

/** A Deferred already drawn elsewhere in the tree; activating it jumps there. */
export interface RefRow {
  kind: 'ref';
  key: string;
  level: number;
  parentKey: string | null;
  targetId: number;
  relation: Relation | null;
  posinset: number;
  setsize: number;
}

export type Row = DeferredRow | DetailRow | RefRow;

export interface TreeOptions {
  hideFired: boolean;
  hideCollected: boolean;
  search: string;
  /** Explicit expand/collapse choices by Deferred id; otherwise a row with nested Deferreds is open. */
  expanded: Map<number, boolean>;
}

interface Edge {
  id: number;
  relation: Relation;
}

/** The Deferreds nested directly under `d`, in display order, without duplicates. */
export function nestedIds(d: DeferredView, store: Map<number, DeferredView>): Edge[] {
  const edges: Edge[] = [];
  const seen = new Set<number>();
  const add = (id: number | null | undefined, relation: Relation): void => {
    if (id == null || id === d.id || seen.has(id) || !store.has(id)) return;
    seen.add(id);
    edges.push({ id, relation });
  };
  add(d.waitingOn, 'chained');
  if (d.result && d.result.kind === 'deferred') add(d.result.id, 'chained');
  if (d.coroutine && !d.coroutine.finished) add(d.coroutine.waitingOn, 'awaited');
  if (d.members) for (const m of d.members) add(m, 'member');
  return edges;
}

export const deferredKey = (id: number): string => `d${id}`;

interface Structure {
  roots: number[];
  /** Tree children of a Deferred; `ref` marks one first drawn under another parent. */
  children: Map<number, Array<Edge & { ref: boolean }>>;
  parent: Map<number, number>;
}

/** Assigns each Deferred one place: depth-first from the roots in id order. */
export function buildStructure(store: Map<number, DeferredView>): Structure {
  const edgesOf = new Map<number, Edge[]>();
  const nested = new Set<number>();
  const ids = [...store.keys()].sort((x, y) => x - y);
  for (const id of ids) {
    const edges = nestedIds(store.get(id)!, store);
    edgesOf.set(id, edges);
    for (const e of edges) nested.add(e.id);
  }
  const children = new Map<number, Array<Edge & { ref: boolean }>>();
  const parent = new Map<number, number>();
  const placed = new Set<number>();
  const roots: number[] = [];
  const place = (root: number): void => {
    roots.push(root);
    placed.add(root);
    const stack = [root];
    while (stack.length) {
      const id = stack.pop()!;
      const list: Array<Edge & { ref: boolean }> = [];
      for (const e of edgesOf.get(id)!) {
        const ref = placed.has(e.id);
        list.push({ ...e, ref });
        if (!ref) {
          placed.add(e.id);
          parent.set(e.id, id);
          stack.push(e.id);
        }
      }
      children.set(id, list);
    }
  };
  for (const id of ids) if (!nested.has(id)) place(id);
  // Whatever is left sits on a cycle (a waits on b waits on a): its lowest id becomes a root.
  for (const id of ids) if (!placed.has(id)) place(id);
  return { roots, children, parent };
}

/** Whether `d` matches the search text: its label, type, id, creation function, coroutine or callbacks. */
export function matchesSearch(d: DeferredView, needle: string): boolean {
  const hay = (s: string | null | undefined): boolean => !!s && s.toLowerCase().includes(needle);
  if (hay(d.name) || hay(d.label) || hay(d.type) || `#${d.id}` === needle || hay(d.created?.function)) return true;
  if (d.coroutine && hay(d.coroutine.name)) return true;
  return d.callbacks.some((p) => hay(p.callback?.name) || hay(p.errback?.name));
}

function isHidden(d: DeferredView, o: TreeOptions): boolean {
  return (o.hideFired && d.status === 'fired' && !d.collected) || (o.hideCollected && d.collected);
}

type Task =
  | { t: 'node'; id: number; level: number; parentKey: string | null; relation: Relation | null; ref: boolean }
  | { t: 'details'; d: DeferredView; level: number; parentKey: string };

/**
 * The visible rows, in order. A Deferred hidden by a filter hands its place to its nested
 * Deferreds (so filtering never hides what is still pending underneath); while searching, only
 * matches and the path to them are shown, with that path opened.
 */
export function flatten(store: Map<number, DeferredView>, options: TreeOptions): Row[] {
  const { roots, children, parent } = buildStructure(store);
  const needle = options.search.trim().toLowerCase();
  let onPath: Set<number> | null = null;
  if (needle) {
    onPath = new Set();
    for (const d of store.values()) {
      if (!matchesSearch(d, needle)) continue;
      for (let id: number | undefined = d.id; id !== undefined && !onPath.has(id); id = parent.get(id)) onPath.add(id);
    }
  }
  const rows: Row[] = [];
  const stack: Task[] = [];
  for (let i = roots.length - 1; i >= 0; i--) {
    stack.push({ t: 'node', id: roots[i], level: 1, parentKey: null, relation: null, ref: false });
  }
  while (stack.length) {
    const task = stack.pop()!;
    if (task.t === 'details') {
      for (const [i, segments] of detailRows(task.d, store).entries()) {
        rows.push({ kind: 'detail', key: `${task.parentKey}.${i}`, level: task.level, parentKey: task.parentKey, segments, posinset: 0, setsize: 0 });
      }
      continue;
    }
    if (onPath && !onPath.has(task.id)) continue;
    const d = store.get(task.id)!;
    if (task.ref) {
      if (onPath || isHidden(d, options)) continue;
      rows.push({ kind: 'ref', key: `${task.parentKey}>${task.id}`, level: task.level, parentKey: task.parentKey, targetId: task.id, relation: task.relation, posinset: 0, setsize: 0 });
      continue;
    }
    const kids = children.get(task.id) ?? [];
    const pushKids = (level: number, parentKey: string | null): void => {
      for (let i = kids.length - 1; i >= 0; i--) {
        const k = kids[i];
        stack.push({ t: 'node', id: k.id, level, parentKey, relation: k.relation, ref: k.ref });
      }
    };
    if (isHidden(d, options)) {
      pushKids(task.level, task.parentKey);
      continue;
    }
    const key = deferredKey(d.id);
    const choice = options.expanded.get(d.id);
    const expanded = choice ?? kids.length > 0;
    rows.push({ kind: 'deferred', key, level: task.level, parentKey: task.parentKey, d, expanded, relation: task.relation, posinset: 0, setsize: 0 });
    if (expanded || onPath) pushKids(task.level + 1, key);
    if (expanded) stack.push({ t: 'details', d, level: task.level + 1, parentKey: key });
  }
  numberSiblings(rows);
  return rows;
}

/** Fills aria-posinset/aria-setsize: position among the rows sharing a parent. */
function numberSiblings(rows: Row[]): void {
  const counts = new Map<string | null, number>();
  for (const r of rows) {
    const n = (counts.get(r.parentKey) ?? 0) + 1;
    counts.set(r.parentKey, n);
    r.posinset = n;
  }
  for (const r of rows) r.setsize = counts.get(r.parentKey)!;
}
