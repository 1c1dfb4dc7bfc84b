/**
 * What the graph view draws: nodes and typed edges, from the same store and structure as the
 * tree (treeStructure.ts), so both views place every Deferred the same way. Each node has one
 * parent in a spanning forest (the tree's nesting) that the layout uses; every relation is an
 * edge, including those the tree shows as "see …" references. Runs only when the structure or
 * a Deferred's shape changes, never for a result or callback update.
 *
 * Nodes are Deferreds, collapsed groups of identical ones (grouping.ts) and non-Deferred roots
 * of a wait. Today the only such root the runtime reports is a deferLater timer; the "why is
 * this pending" facts (thread job, connection, process, lock, queue) add theirs in `rootsOf`.
 */
import type { EdgeKind } from '../src/model/view';
import type { DeferredView } from '../src/protocol/protocol';
import { DEFAULT_GROUP_THRESHOLD, groupSiblings, subtreeShapes } from './grouping';
import { deferredKey, type Structure } from './treeStructure';

/** `deferred`: one Deferred (or a group, see `group`); the others are non-Deferred roots. */
export type NodeShape = 'deferred' | 'timer';

export interface GraphNode {
  key: string;
  shape: NodeShape;
  /** The Deferred drawn (a group's leader; for a root node, the Deferred it blocks). */
  id: number;
  /** Every member of a collapsed group (leader first), else null. */
  group: number[] | null;
  /** Index of the parent in the spanning forest, -1 for a root; always below the node's own. */
  parent: number;
  depth: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
}

export interface GraphModel {
  /** In depth-first preorder: a parent comes before its children. */
  nodes: GraphNode[];
  edges: GraphEdge[];
  index: Map<string, number>;
  /** Deferreds in scope left out because of `limit`. */
  omitted: number;
  /** What is shown: the selected Deferred's connected part, or everything. */
  scope: 'connected' | 'whole';
}

export interface GraphOptions {
  /** The selected Deferred: its connected part is shown unless `whole`. */
  focusId: number | null;
  whole: boolean;
  /** Most nodes drawn; the rest are counted in `omitted`. */
  limit: number;
  threshold: number;
  expandedGroups: ReadonlySet<string>;
}

export const DEFAULT_GRAPH_OPTIONS: GraphOptions = {
  focusId: null,
  whole: false,
  limit: 5000,
  threshold: DEFAULT_GROUP_THRESHOLD,
  expandedGroups: new Set(),
};

/** Every relation of `d` to another Deferred, as the graph labels it (one edge per target). */
export function deferredEdges(d: DeferredView): Array<[number, EdgeKind]> {
  const out: Array<[number, EdgeKind]> = [];
  const add = (id: unknown, kind: EdgeKind): void => {
    if (typeof id === 'number' && id !== d.id && !out.some(([t]) => t === id)) out.push([id, kind]);
  };
  add(d.waitingOn, 'waitsOn');
  if (d.result && d.result.kind === 'deferred') add(d.result.id, 'resultIs');
  if (d.coroutine && !d.coroutine.finished) add(d.coroutine.waitingOn, 'awaits');
  if (Array.isArray(d.members)) for (const m of d.members) add(m, 'memberOf');
  return out;
}

/** The non-Deferred things `d` waits for, each its own node shape. */
export function rootsOf(d: DeferredView): Array<{ shape: NodeShape; key: string; kind: EdgeKind }> {
  return d.timer?.active && !d.called ? [{ shape: 'timer', key: `t${d.id}`, kind: 'timer' }] : [];
}

/** The Deferreds connected to `start` by any relation, in either direction. */
function component(structure: Structure, start: number): Set<number> {
  const back = new Map<number, number[]>();
  for (const [from, kids] of structure.children) {
    for (const k of kids) {
      const list = back.get(k.id);
      if (list) list.push(from);
      else back.set(k.id, [from]);
    }
  }
  const seen = new Set([start]);
  const stack = [start];
  while (stack.length) {
    const id = stack.pop()!;
    const next = [...(structure.children.get(id) ?? []).map((k) => k.id), ...(back.get(id) ?? [])];
    for (const n of next) {
      if (!seen.has(n)) {
        seen.add(n);
        stack.push(n);
      }
    }
  }
  return seen;
}

export function buildGraph(store: Map<number, DeferredView>, structure: Structure, options: GraphOptions): GraphModel {
  const focus = options.focusId !== null && store.has(options.focusId) ? options.focusId : null;
  const scope = options.whole || focus === null ? 'whole' : 'connected';
  const inScope = scope === 'connected' ? component(structure, focus!) : null;
  const roots = inScope ? structure.roots.filter((id) => inScope.has(id)) : structure.roots;
  const shapeOf = subtreeShapes(structure, store);
  const nodes: GraphNode[] = [];
  const index = new Map<string, number>();
  /** Where each Deferred is drawn: its own node, or the group node that stands for it. */
  const drawnAs = new Map<number, string>();
  const total = inScope ? inScope.size : store.size;
  let placedDeferreds = 0;
  const place = (node: GraphNode): number => {
    index.set(node.key, nodes.length);
    return nodes.push(node) - 1;
  };

  const stack: Array<{ id: number; group: number[] | null; parent: number; depth: number }> = [];
  const pushSiblings = (ids: number[], parent: number, depth: number): void => {
    const entries = groupSiblings(ids, shapeOf, options.threshold, options.expandedGroups);
    for (let i = entries.length - 1; i >= 0; i--) stack.push({ ...entries[i], parent, depth });
  };
  pushSiblings(roots, -1, 0);
  while (stack.length && nodes.length < options.limit) {
    const { id, group, parent, depth } = stack.pop()!;
    const d = store.get(id);
    if (!d || drawnAs.has(id)) continue;
    const key = deferredKey(id);
    const at = place({ key, shape: 'deferred', id, group, parent, depth });
    drawnAs.set(id, key);
    placedDeferreds += group ? group.length : 1;
    if (group) for (const member of group) drawnAs.set(member, key);
    for (const root of rootsOf(d)) place({ key: root.key, shape: root.shape, id, group: null, parent: at, depth: depth + 1 });
    const kids = structure.children.get(id);
    if (kids) {
      pushSiblings(
        kids.filter((k) => !k.ref).map((k) => k.id),
        at,
        depth + 1,
      );
    }
  }

  const edges: GraphEdge[] = [];
  const seen = new Set<string>();
  for (const node of nodes) {
    const d = store.get(node.id)!;
    if (node.shape !== 'deferred') continue;
    for (const root of rootsOf(d)) edges.push({ from: node.key, to: root.key, kind: root.kind });
    for (const [target, kind] of deferredEdges(d)) {
      const to = drawnAs.get(target);
      const pair = `${node.key}>${to}`;
      if (!to || to === node.key || seen.has(pair)) continue;
      seen.add(pair);
      edges.push({ from: node.key, to, kind });
    }
  }
  return { nodes, edges, index, omitted: Math.max(0, total - placedDeferreds), scope };
}
