/**
 * What the graph view draws: nodes and typed edges, from the same store and structure as the
 * tree (treeStructure.ts), so both views place every Deferred the same way. Each node has one
 * parent in a spanning forest (the tree's nesting) that the layout uses; every relation is an
 * edge, including those the tree shows as "see …" references. Runs only when the structure or
 * a Deferred's shape changes, never for a result or callback update.
 *
 * Nodes are Deferreds, collapsed groups of identical ones (grouping.ts) and the non-Deferred
 * roots of a wait (`rootOf`: the runtime's `root` — timer, thread job, process, connection,
 * lock, queue or another holder — drawn beside the Deferred whose wait ends there).
 */
import type { EdgeKind } from '../src/model/view';
import type { BlockedBy, DeferredView } from '../src/protocol/protocol';
import { DEFAULT_GROUP_THRESHOLD, groupSiblings, subtreeShapes } from './grouping';
import { deferredKey, type Structure } from './treeStructure';

/** Root kinds that are not Deferreds, each drawn as a node of its own shape. */
export const ROOT_NODE_KINDS = ['timer', 'thread', 'process', 'connection', 'lock', 'queue', 'unknown'] as const;
export type RootKind = (typeof ROOT_NODE_KINDS)[number];
/** Those that will fire the Deferred (the others hold it until something else does). */
const FIRING: ReadonlySet<string> = new Set(['timer', 'thread', 'process']);

/** `deferred`: one Deferred (or a group, see `group`); the others are non-Deferred roots. */
export type NodeShape = 'deferred' | RootKind;

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
  /**
   * A root node's wait as it was when the graph was built (null for a 1.2 runtime's timer):
   * its words are drawn from the Deferred's current root while it has one, else from this,
   * until the next rebuild removes the node.
   */
  root?: BlockedBy | null;
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

/** The non-Deferred root a Deferred's wait ends at, when it ends at this Deferred. */
export interface RootNode {
  kind: RootKind;
  /** The runtime's root; null for a deferLater timer read from `timer` (a 1.2 runtime). */
  root: BlockedBy | null;
  edge: EdgeKind;
}

const isRootKind = (kind: unknown): kind is RootKind => (ROOT_NODE_KINDS as readonly unknown[]).includes(kind);

/**
 * What `d` itself waits for when that is not a Deferred: its `root`, if the path to the root
 * ends at `d` (a Deferred waiting on another has the same root, drawn once, beside the last
 * one); else, from a runtime without "why", an active deferLater timer. A cycle of Deferreds
 * (kind unknown, its path never ending at a member) and orphans (marked on the node) are not
 * nodes.
 */
export function rootOf(d: DeferredView): RootNode | null {
  const r = d.root;
  if (r && typeof r === 'object') {
    const path = Array.isArray(r.ids) ? r.ids : [];
    const endsHere = path.length === 0 || path[path.length - 1] === d.id;
    if (!endsHere || !isRootKind(r.kind)) return null;
    return { kind: r.kind, root: r, edge: FIRING.has(r.kind) ? 'firedBy' : 'heldBy' };
  }
  return d.timer?.active && !d.called ? { kind: 'timer', root: null, edge: 'firedBy' } : null;
}

/** The key of `d`'s root node: one per Deferred, whatever its kind, so a kind change moves nothing. */
export const rootKey = (id: number): string => `r${id}`;

/** Whether nothing can ever fire `d` itself (not one waiting on such a Deferred). */
export function isOrphanEnd(d: DeferredView): boolean {
  return d.blockedBy?.kind === 'orphan';
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
    const root = rootOf(d);
    if (root) place({ key: rootKey(id), shape: root.kind, id, group: null, parent: at, depth: depth + 1, root: root.root });
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
    const root = rootOf(d);
    if (root) edges.push({ from: node.key, to: rootKey(node.id), kind: root.edge });
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
