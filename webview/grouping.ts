/**
 * Identical Deferreds collapsed, for both views: fifteen customers' Deferreds created at the
 * same line, in the same state, with the same callbacks (and the same nested Deferreds under
 * them) are one row in the tree and one node in the graph, "×15", until the user expands them.
 * The tree (treeStructure.ts) and the graph (graphModel.ts) both call `groupSiblings` with the
 * shapes from `subtreeShapes`, so the two views always agree on what is "the same".
 */
import { rowWhy, whyKind } from '../src/model/view';
import type { DeferredView } from '../src/protocol/protocol';
import type { Structure } from './treeStructure';

/** Siblings of one shape collapse when at least this many (the `collapseThreshold` view option). */
export const DEFAULT_GROUP_THRESHOLD = 8;

/**
 * What makes two Deferreds "the same" to a reader: where they were created, their state, their
 * callbacks, their driving coroutine and the kind of what they wait for — not their id, name or result (a result changing
 * must not split a group, or live updates would reshuffle the graph).
 */
export function shapeKey(d: DeferredView): string {
  const c = d.created;
  const callbacks = Array.isArray(d.callbacks)
    ? d.callbacks.map((p) => (p ? `${p.callback?.name ?? ''}/${p.errback?.name ?? ''}${p.continues == null ? '' : '+'}` : '?')).join(',')
    : '';
  // The kind of its wait too: an orphan among fifteen timers' Deferreds must not hide in their group.
  const why = rowWhy(d);
  return `${d.type}|${d.status}|${d.collected ? 'x' : ''}|${c?.file}:${c?.line}:${c?.function}|${d.coroutine?.name ?? ''}|${callbacks}|${why ? whyKind(why) : ''}`;
}

/** 53-bit string hash (cyrb53): a subtree's shape as a number, so a 1,000-link chain costs O(n). */
function hash(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Shape hashes of Deferreds that nest nothing, per view object (views are replaced, never mutated). */
const leafShapes = new WeakMap<DeferredView, number>();

function leafShape(d: DeferredView): number {
  let h = leafShapes.get(d);
  if (h === undefined) {
    h = hash(shapeKey(d));
    leafShapes.set(d, h);
  }
  return h;
}

/**
 * The shape of each Deferred's whole subtree (its own shape and, in order, its children's with
 * their relations), computed lazily and iteratively (a 10,000-link chain must not overflow the
 * stack). References to Deferreds placed elsewhere count by relation only.
 */
export function subtreeShapes(structure: Structure, store: Map<number, DeferredView>): (id: number) => number {
  const memo = new Map<number, number>();
  return (start: number): number => {
    const known = memo.get(start);
    if (known !== undefined) return known;
    const stack: Array<[number, boolean]> = [[start, false]];
    while (stack.length) {
      const [id, childrenDone] = stack.pop()!;
      if (memo.has(id)) continue;
      const kids = structure.children.get(id);
      if (kids && !childrenDone) {
        stack.push([id, true]);
        for (const k of kids) if (!k.ref && !memo.has(k.id)) stack.push([k.id, false]);
        continue;
      }
      const d = store.get(id);
      // Most Deferreds nest nothing: their shape is cached with their view (a rebuild of 10,000 roots stays cheap).
      if (!kids && d) {
        memo.set(id, leafShape(d));
        continue;
      }
      let text = d ? shapeKey(d) : '?';
      if (kids) for (const k of kids) text += k.ref ? `;${k.relation}@` : `;${k.relation}=${memo.get(k.id)}`;
      memo.set(id, hash(text));
    }
    return memo.get(start)!;
  };
}

/** One entry of a sibling list after grouping: a Deferred, or a group led by its first member. */
export interface SiblingEntry {
  id: number;
  /** Every member (the leader first) when this entry stands for a collapsed group, else null. */
  group: number[] | null;
}

/** The key a group is remembered by when the user expands it: its leader's id. */
export const groupKey = (leader: number): string => `g${leader}`;

/**
 * Siblings in order, with those sharing a shape collapsed into one entry at the first one's
 * place when there are at least `threshold` of them and the user has not expanded that group.
 * `threshold` ≤ 1 turns grouping off. O(n) in the siblings.
 */
export function groupSiblings(
  ids: readonly number[],
  shapeOf: (id: number) => number,
  threshold: number,
  expandedGroups: ReadonlySet<string>,
): SiblingEntry[] {
  if (threshold <= 1 || ids.length < threshold) return ids.map((id) => ({ id, group: null }));
  const byShape = new Map<number, number[]>();
  for (const id of ids) {
    const shape = shapeOf(id);
    const list = byShape.get(shape);
    if (list) list.push(id);
    else byShape.set(shape, [id]);
  }
  const out: SiblingEntry[] = [];
  for (const id of ids) {
    const members = byShape.get(shapeOf(id))!;
    if (members.length < threshold || expandedGroups.has(groupKey(members[0]))) out.push({ id, group: null });
    else if (members[0] === id) out.push({ id, group: members });
  }
  return out;
}
