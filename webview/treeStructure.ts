/**
 * Turns the set of Deferreds into the flat list of rows the virtualised view draws.
 *
 * Nesting follows what a Deferred waits on: `a` waiting on `b` (Twisted's `_chainedTo`, or a
 * Deferred result) shows `b` under `a`, a DeferredList shows its members, a coroutine's Deferred
 * shows what the coroutine awaits. Roots are the Deferreds nothing nests; a Deferred reachable
 * twice is drawn once and referenced elsewhere, and cycles fall back to the lowest id as a root.
 * Everything is iterative (a 10,000-link chain must not overflow the stack) and O(n) per build.
 */

import { isStuck } from '../src/model/view';
import type { DeferredView } from '../src/protocol/protocol';

export type Relation = 'chained' | 'member' | 'awaited';

export interface DeferredRow {
  kind: 'deferred';
  key: string;
  level: number;
  parentKey: string | null;
  d: DeferredView;
  /** Nested Deferreds shown: by default when it has any, or as the user chose. */
  expanded: boolean;
  /** Detail lines shown: only when the user expanded the row (they are many, in a busy tree). */
  details: boolean;
  relation: Relation | null;
  posinset: number;
  setsize: number;
}

/** Line `line` of an expanded Deferred's details; its text is built only when drawn. */
export interface DetailRow {
  kind: 'detail';
  key: string;
  level: number;
  parentKey: string;
  d: DeferredView;
  line: number;
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

/** Identical siblings (grouping.ts) shown as one row, "×15", whose members open under it. */
export interface GroupRow {
  kind: 'group';
  key: string;
  level: number;
  parentKey: string | null;
  /** The first member, whose words the row shows. */
  d: DeferredView;
  members: number[];
  expanded: boolean;
  relation: Relation | null;
  posinset: number;
  setsize: number;
}

/** A chain of links, each waiting on the next, shown as one row; open, its links are listed flat. */
export interface ChainRow {
  kind: 'chain';
  key: string;
  level: number;
  parentKey: string | null;
  /** The chain's root (its last link, what the whole chain waits for). */
  d: DeferredView;
  /** The links, first (the head) to last (the root). */
  run: number[];
  expanded: boolean;
  relation: Relation | null;
  posinset: number;
  setsize: number;
}

export type Row = DeferredRow | DetailRow | RefRow | GroupRow | ChainRow;

/** A row drawn with the Deferred columns: one Deferred, a group of identical ones, or a chain. */
export type SummaryRow = DeferredRow | GroupRow | ChainRow;
export const isSummary = (row: Row | undefined): row is SummaryRow =>
  row?.kind === 'deferred' || row?.kind === 'group' || row?.kind === 'chain';

/**
 * How many Deferreds the rows show, for the header's "N rows": a collapsed group or chain
 * counts every Deferred it stands for, an open one only through its members' own rows; detail
 * lines and "see …" references count nothing.
 */
export function deferredsShown(rows: readonly Row[]): number {
  let n = 0;
  for (const row of rows) {
    if (row.kind === 'deferred') n++;
    else if (row.kind === 'group' && !row.expanded) n += row.members.length;
    else if (row.kind === 'chain' && !row.expanded) n += row.run.length;
  }
  return n;
}

export interface TreeOptions {
  hideFired: boolean;
  hideCollected: boolean;
  search: string;
  /** Show only the Deferreds that look stuck (viewWhy.ts `isStuck`), against `clock`. */
  onlyStuck?: boolean;
  /** The program's clock "unchanged for N s" is measured against (GraphHeader.clock, advanced while running). */
  clock?: number | null;
  /**
   * Explicit expand/collapse choices by Deferred id. Without one, a row with nested Deferreds
   * shows them (the chain is the point) but not its details; expanding one shows both.
   */
  expanded: Map<number, boolean>;
  /** Groups of identical siblings the user opened (grouping.ts `groupKey`); absent: none. */
  expandedGroups?: ReadonlySet<string>;
  /** Chains the user opened, by their head's id; absent: none. */
  expandedChains?: ReadonlySet<number>;
  /** Identical siblings collapse from this many; ≤ 1 or absent: never. */
  groupThreshold?: number;
  /** Chains of this many links or more are one row; 0: never; absent: CHAIN_MIN_LINKS (treeFlatten.ts). */
  chainMinLinks?: number;
}

interface Edge {
  id: number;
  relation: Relation;
}

type RawEdges = Array<[number, Relation]>;
/** Candidate edges per DeferredView object: objects are replaced, never mutated, on update. */
const rawEdgeCache = new WeakMap<DeferredView, RawEdges>();

const NO_RAW_EDGES: RawEdges = [];

function rawEdges(d: DeferredView): RawEdges {
  // Most Deferreds nest nothing: answer those without touching the cache.
  if (d.waitingOn == null && d.members == null && d.coroutine == null && (d.result == null || d.result.kind !== 'deferred')) {
    return NO_RAW_EDGES;
  }
  let edges = rawEdgeCache.get(d);
  if (edges) return edges;
  edges = [];
  if (d.waitingOn != null) edges.push([d.waitingOn, 'chained']);
  if (d.result && d.result.kind === 'deferred') edges.push([d.result.id, 'chained']);
  if (d.coroutine && !d.coroutine.finished && d.coroutine.waitingOn != null) edges.push([d.coroutine.waitingOn, 'awaited']);
  if (Array.isArray(d.members)) for (const m of d.members) edges.push([m, 'member']);
  rawEdgeCache.set(d, edges);
  return edges;
}

/** Whether `d` points at no other Deferred (so it can only be a leaf). */
export function nestsNothing(d: DeferredView): boolean {
  return rawEdges(d).length === 0;
}

/** Whether replacing `before` by `after` can move anything in the tree (most updates cannot). */
export function nestingChanged(before: DeferredView, after: DeferredView): boolean {
  const a = rawEdges(before);
  const b = rawEdges(after);
  return a.length !== b.length || a.some(([id, relation], i) => b[i][0] !== id || b[i][1] !== relation);
}

const NO_EDGES: Edge[] = [];

/** The Deferreds nested directly under `d`, in display order, without duplicates. */
export function nestedIds(d: DeferredView, store: Map<number, DeferredView>): Edge[] {
  const raw = rawEdges(d);
  if (raw.length === 0) return NO_EDGES;
  const edges: Edge[] = [];
  const seen = raw.length > 16 ? new Set<number>() : null;
  for (const [id, relation] of raw) {
    if (id === d.id || !store.has(id)) continue;
    if (seen ? seen.has(id) : edges.some((e) => e.id === id)) continue;
    seen?.add(id);
    edges.push({ id, relation });
  }
  return edges;
}

export const deferredKey = (id: number): string => `d${id}`;

/** A tree child; `ref` marks one first placed under another parent (drawn as a reference). */
export interface TreeEdge extends Edge {
  ref: boolean;
}

export interface Structure {
  /** Deferreds nested under nothing, ascending, then one per cycle (`cycleRoots` of them). */
  roots: number[];
  cycleRoots: number;
  /** Every id some Deferred points at (even one not in the store yet). */
  referenced: Set<number>;
  /** Tree children of the Deferreds that have any. */
  children: Map<number, TreeEdge[]>;
  parent: Map<number, number>;
}

/**
 * Assigns each Deferred one place: depth-first from the roots in id order. `sortedIds` (the
 * store's ids, ascending) saves a sort when the caller keeps them. Most Deferreds nest
 * nothing, so they cost one lookup here.
 */
export function buildStructure(store: Map<number, DeferredView>, sortedIds?: number[]): Structure {
  const edgesOf = new Map<number, Edge[]>();
  const nested = new Set<number>();
  const referenced = new Set<number>();
  const ids = sortedIds ?? [...store.keys()].sort((x, y) => x - y);
  for (const id of ids) {
    const d = store.get(id)!;
    for (const [target] of rawEdges(d)) referenced.add(target);
    const edges = nestedIds(d, store);
    if (edges.length === 0) continue;
    edgesOf.set(id, edges);
    for (const e of edges) nested.add(e.id);
  }
  const children = new Map<number, TreeEdge[]>();
  const parent = new Map<number, number>();
  const placed = new Set<number>();
  const roots: number[] = [];
  const place = (root: number): void => {
    roots.push(root);
    // Nothing nests a root, so only one with children needs to be remembered as placed.
    if (!edgesOf.has(root)) return;
    placed.add(root);
    const stack = [root];
    while (stack.length) {
      const id = stack.pop()!;
      const edges = edgesOf.get(id);
      if (!edges) continue;
      const list: TreeEdge[] = [];
      for (const e of edges) {
        const ref = placed.has(e.id);
        list.push({ id: e.id, relation: e.relation, ref });
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
  const plainRoots = roots.length;
  // A nested Deferred left unplaced sits on a cycle (a waits on b waits on a): its lowest id
  // becomes a root.
  // (Starting only from Deferreds that nest others: a leaf is placed by its parent.)
  if (nested.size > 0) for (const id of ids) if (edgesOf.has(id) && !placed.has(id)) place(id);
  return { roots, cycleRoots: roots.length - plainRoots, referenced, children, parent };
}

/** Whether `d` matches the search text: its label, type, id, creation function, coroutine or callbacks. */
export function matchesSearch(d: DeferredView, needle: string): boolean {
  const hay = (s: unknown): boolean => typeof s === 'string' && s.toLowerCase().includes(needle);
  if (hay(d.name) || hay(d.label) || hay(d.type) || `#${d.id}` === needle || hay(d.created?.function)) return true;
  if (d.coroutine && hay(d.coroutine.name)) return true;
  return d.callbacks.some((p) => !!p && (hay(p.callback?.name) || hay(p.errback?.name)));
}

/** Whether a filter hides `d`. "Hide fired" keeps failed ones: a Failure is what one looks for. */
export function isHidden(d: DeferredView, o: TreeOptions): boolean {
  return (
    (o.hideFired && d.status === 'fired') || (o.hideCollected && d.collected) || (o.onlyStuck === true && !isStuck(d, o.clock ?? null))
  );
}
