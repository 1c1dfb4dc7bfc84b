/**
 * The visible rows of the tree, in order, from the structure (treeStructure.ts). Two things
 * keep it readable at any depth and size: a chain of more than a few links (each waiting on
 * the next) is one row, "chain of 50 · root: links[49], pending", whose links open flat under
 * it instead of as a staircase; and identical siblings (grouping.ts, the function the graph
 * uses too) are one row "×15" whose members open under it. Both are off while searching, so
 * every match shows on its own.
 */

import { detailLineCount } from '../src/model/view';
import type { DeferredView } from '../src/protocol/protocol';
import { groupKey, groupSiblings, subtreeShapes } from './grouping';
import {
  buildStructure,
  deferredKey,
  isHidden,
  matchesSearch,
  type Relation,
  type Row,
  type Structure,
  type TreeEdge,
  type TreeOptions,
} from './treeStructure';

/** A run of at least this many links is shown as one chain row. */
export const CHAIN_MIN_LINKS = 5;

type Task =
  | { t: 'node'; id: number; level: number; parent: number; relation: Relation | null; ref: boolean; flat?: boolean }
  | { t: 'group'; members: number[]; level: number; parent: number; relation: Relation | null }
  | { t: 'details'; d: DeferredView; level: number; parent: number };

const NO_TREE_EDGES: TreeEdge[] = [];
/** A row's place among its siblings, filled in once every row is known. */
const UNNUMBERED = { posinset: 0, setsize: 0 } as const;
const NOTHING_OPEN: ReadonlySet<never> = new Set();

/** The links from `head` while each has exactly one nested Deferred, placed here, that it waits on. */
function chainRun(head: number, children: Map<number, TreeEdge[]>): number[] {
  const run = [head];
  for (let kids = children.get(head); kids && kids.length === 1 && !kids[0].ref && kids[0].relation === 'chained'; ) {
    run.push(kids[0].id);
    kids = children.get(kids[0].id);
  }
  return run;
}

/**
 * The visible rows, in order. A Deferred hidden by a filter hands its place to its nested
 * Deferreds (so filtering never hides what is still pending underneath); while searching, only
 * matches and the path to them are shown, with that path opened. Runs on every change of shape
 * (a Deferred created or collected, a filter, an expansion), so it allocates little: a root
 * with nothing under it, the common case, skips the work stack.
 */
export function flatten(store: Map<number, DeferredView>, options: TreeOptions, structure: Structure = buildStructure(store)): Row[] {
  const { roots, children, parent } = structure;
  const needle = options.search.trim().toLowerCase();
  let onPath: Set<number> | null = null;
  if (needle) {
    onPath = new Set();
    for (const d of store.values()) {
      if (!matchesSearch(d, needle)) continue;
      for (let id: number | undefined = d.id; id !== undefined && !onPath.has(id); id = parent.get(id)) onPath.add(id);
    }
  }
  const threshold = onPath ? 0 : (options.groupThreshold ?? 0);
  const openGroups = options.expandedGroups ?? NOTHING_OPEN;
  const openChains = options.expandedChains ?? NOTHING_OPEN;
  const chainMin = options.chainMinLinks ?? CHAIN_MIN_LINKS;
  let shapes: ((id: number) => number) | null = null;
  const shapeOf = (id: number): number => {
    shapes ??= subtreeShapes(structure, store);
    return shapes(id);
  };
  const rows: Row[] = [];
  // siblings[p + 1]: rows so far under the row at index p (-1: the roots), for aria-posinset.
  const siblings: number[] = [0];
  const add = (row: Row, parentIndex: number): number => {
    row.posinset = ++siblings[parentIndex + 1];
    row.setsize = parentIndex; // parent index until the second pass below
    siblings.push(0);
    return rows.push(row) - 1;
  };
  const keyOf = (index: number): string | null => (index < 0 ? null : rows[index].key);
  const stack: Task[] = [];
  /** Pushes siblings (in reverse, so they pop in order), identical ones as one group task. */
  const pushSiblings = (kids: TreeEdge[], level: number, parentIndex: number): void => {
    const groups =
      threshold > 1 && kids.length >= threshold
        ? groupSiblings(
            kids.filter((k) => !k.ref).map((k) => k.id),
            shapeOf,
            threshold,
            NOTHING_OPEN,
          )
        : null;
    const grouped = new Map<number, number[]>();
    if (groups) for (const g of groups) if (g.group) for (const m of g.group) grouped.set(m, g.group);
    for (let i = kids.length - 1; i >= 0; i--) {
      const k = kids[i];
      const group = grouped.get(k.id);
      if (!group) stack.push({ t: 'node', id: k.id, level, parent: parentIndex, relation: k.relation, ref: k.ref });
      else if (group[0] === k.id) stack.push({ t: 'group', members: group, level, parent: parentIndex, relation: k.relation });
    }
  };
  const rootGroups = threshold > 1 && roots.length >= threshold ? groupSiblings(roots, shapeOf, threshold, NOTHING_OPEN) : null;
  const rootEntries = rootGroups ?? roots.map((id) => ({ id, group: null }));
  for (const { id: root, group } of rootEntries) {
    const kids = children.get(root);
    if (!group && !kids && !onPath && !options.expanded.get(root)) {
      const d = store.get(root)!;
      if (!isHidden(d, options)) {
        add(
          {
            kind: 'deferred',
            key: deferredKey(root),
            level: 1,
            parentKey: null,
            d,
            expanded: false,
            details: false,
            relation: null,
            ...UNNUMBERED,
          },
          -1,
        );
      }
      continue;
    }
    stack.push(
      group
        ? { t: 'group', members: group, level: 1, parent: -1, relation: null }
        : { t: 'node', id: root, level: 1, parent: -1, relation: null, ref: false },
    );
    while (stack.length) {
      const task = stack.pop()!;
      const parentKey = keyOf(task.parent);
      if (task.t === 'details') {
        const count = detailLineCount(task.d);
        for (let line = 0; line < count; line++) {
          add(
            {
              kind: 'detail',
              key: `${parentKey}.${line}`,
              level: task.level,
              parentKey: parentKey!,
              d: task.d,
              line,
              ...UNNUMBERED,
            },
            task.parent,
          );
        }
        continue;
      }
      if (task.t === 'group') {
        const leader = store.get(task.members[0])!;
        const key = groupKey(task.members[0]);
        const open = openGroups.has(key);
        if (task.members.some((id) => isHidden(store.get(id)!, options))) {
          // Members share a state, not their age ("only stuck"): each hidden one hands its place
          // to what nests under it, and the rest show one by one.
          for (let i = task.members.length - 1; i >= 0; i--)
            stack.push({ t: 'node', id: task.members[i], level: task.level, parent: task.parent, relation: task.relation, ref: false });
          continue;
        }
        const index = add(
          {
            kind: 'group',
            key,
            level: task.level,
            parentKey,
            d: leader,
            members: task.members,
            expanded: open,
            relation: task.relation,
            ...UNNUMBERED,
          },
          task.parent,
        );
        if (open)
          for (let i = task.members.length - 1; i >= 0; i--)
            stack.push({ t: 'node', id: task.members[i], level: task.level + 1, parent: index, relation: task.relation, ref: false });
        continue;
      }
      if (onPath && !onPath.has(task.id)) continue;
      const d = store.get(task.id)!;
      if (task.ref) {
        if (onPath || isHidden(d, options)) continue;
        add(
          {
            kind: 'ref',
            key: `${parentKey}>${task.id}`,
            level: task.level,
            parentKey,
            targetId: task.id,
            relation: task.relation,
            ...UNNUMBERED,
          },
          task.parent,
        );
        continue;
      }
      let kids = children.get(task.id) ?? NO_TREE_EDGES;
      if (isHidden(d, options)) {
        pushSiblings(kids, task.level, task.parent);
        continue;
      }
      if (!task.flat && !onPath && chainMin > 0 && kids.length === 1) {
        const run = chainRun(task.id, children);
        if (run.length >= chainMin) {
          const last = run[run.length - 1];
          const open = openChains.has(task.id);
          const index = add(
            {
              kind: 'chain',
              key: `c${task.id}`,
              level: task.level,
              parentKey,
              d: store.get(last)!,
              run,
              expanded: open,
              relation: task.relation,
              ...UNNUMBERED,
            },
            task.parent,
          );
          // Open, the links are listed flat, one level under the chain; the root keeps what nests under it.
          if (open)
            for (let i = run.length - 1; i >= 0; i--)
              stack.push({
                t: 'node',
                id: run[i],
                level: task.level + 1,
                parent: index,
                relation: i ? 'chained' : null,
                ref: false,
                flat: i < run.length - 1,
              });
          else pushSiblings(children.get(last) ?? NO_TREE_EDGES, task.level + 1, index);
          continue;
        }
      }
      if (task.flat) kids = NO_TREE_EDGES; // the next link follows as a sibling
      const choice = options.expanded.get(d.id);
      const expanded = choice ?? kids.length > 0;
      const details = choice === true;
      const index = add(
        {
          kind: 'deferred',
          key: deferredKey(d.id),
          level: task.level,
          parentKey,
          d,
          expanded,
          details,
          relation: task.relation,
          ...UNNUMBERED,
        },
        task.parent,
      );
      if (expanded || onPath) pushSiblings(kids, task.level + 1, index);
      if (details) stack.push({ t: 'details', d, level: task.level + 1, parent: index });
    }
  }
  for (const row of rows) row.setsize = siblings[row.setsize + 1];
  return rows;
}
