/**
 * Live updates without rebuilding the tree. While a program runs, most updates change a
 * Deferred's content (result, callbacks) but not where it sits; those are applied to the
 * existing rows in O(updates) — plus, when an expanded Deferred gains or loses detail lines
 * (a callback added), one pass that splices its detail rows. Anything that could move rows
 * (visibility under a filter or the search) is refused and the caller rebuilds with `flatten`.
 */

import { detailLineCount } from '../src/model/view';
import type { DeferredView } from '../src/protocol/protocol';
import { deferredKey, isHidden, matchesSearch, nestsNothing, type Row, type Structure, type TreeOptions } from './treeStructure';

/** Row index of every drawn Deferred. */
export function indexDeferredRows(rows: Row[]): Map<number, number> {
  const index = new Map<number, number>();
  rows.forEach((row, i) => {
    if (row.kind === 'deferred') index.set(row.d.id, i);
  });
  return index;
}

/** Number of detail rows right after the row at `index`. */
function detailsAfter(rows: Row[], index: number): number {
  const key = rows[index].key;
  let n = 0;
  for (let i = index + 1; i < rows.length; i++, n++) {
    const r = rows[i];
    if (r.kind !== 'detail' || r.parentKey !== key) break;
  }
  return n;
}

/** Renumbers aria-posinset/setsize of the direct children of the row at `index` (its subtree follows it). */
function renumberChildren(rows: Row[], index: number): void {
  const level = rows[index].level;
  let count = 0;
  let end = index + 1;
  for (; end < rows.length && rows[end].level > level; end++) if (rows[end].level === level + 1) rows[end].posinset = ++count;
  for (let i = index + 1; i < end; i++) if (rows[i].level === level + 1) rows[i].setsize = count;
}

/**
 * Applies `changes` (before, after) to `rows`, keeping `indexById` right. Returns the rows
 * (the same array, or a new one when detail rows were spliced), or null when only a full
 * rebuild will do. The caller has checked that the nesting did not change.
 */
export function patchRows(
  rows: Row[],
  indexById: Map<number, number>,
  changes: Array<[DeferredView, DeferredView]>,
  options: TreeOptions,
): Row[] | null {
  const needle = options.search.trim().toLowerCase();
  const resized = new Map<number, number>();
  for (const [before, after] of changes) {
    if (isHidden(before, options) !== isHidden(after, options)) return null;
    if (needle && matchesSearch(before, needle) !== matchesSearch(after, needle)) return null;
  }
  for (const [, after] of changes) {
    const index = indexById.get(after.id);
    const row = index === undefined ? undefined : rows[index];
    if (row?.kind !== 'deferred') continue;
    row.d = after;
    if (!row.details) continue;
    const count = detailsAfter(rows, index!);
    for (let i = index! + 1; i <= index! + count; i++) (rows[i] as { d: DeferredView }).d = after;
    if (detailLineCount(after) !== count) resized.set(index!, detailLineCount(after));
  }
  if (resized.size === 0) return rows;

  const out: Row[] = [];
  const renumber: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    out.push(row);
    const lines = resized.get(i);
    if (lines === undefined || row.kind !== 'deferred') continue;
    renumber.push(out.length - 1);
    i += detailsAfter(rows, i);
    for (let line = 0; line < lines; line++) {
      out.push({
        kind: 'detail',
        key: `${row.key}.${line}`,
        level: row.level + 1,
        parentKey: row.key,
        d: row.d,
        line,
        posinset: 0,
        setsize: 0,
      });
    }
  }
  for (const index of renumber) renumberChildren(out, index);
  for (let i = renumber[0]; i < out.length; i++) {
    const row = out[i];
    if (row.kind === 'deferred') indexById.set(row.d.id, i);
  }
  return out;
}

/**
 * Adds and removes Deferreds that sit alone at the top level — created, collected, pointing at
 * nothing and pointed at by nothing, the bulk of a busy program's churn — without rebuilding
 * the tree: removes their rows, appends rows for the new ones (ids only grow), renumbers the
 * top level. Returns null when any of them could be nested or change the order (a full
 * rebuild is then needed). Updates `structure.roots` and `indexById`.
 */
export function patchLeafRoots(
  structure: Structure,
  rows: Row[],
  indexById: Map<number, number>,
  store: Map<number, DeferredView>,
  addedIds: number[],
  removedIds: number[],
  options: TreeOptions,
): Row[] | null {
  if (structure.cycleRoots > 0) return null;
  for (const id of removedIds) if (structure.referenced.has(id) || structure.children.has(id)) return null;
  const removed = new Set(removedIds);
  const roots = removed.size ? structure.roots.filter((id) => !removed.has(id)) : structure.roots;
  let last = roots.length ? roots[roots.length - 1] : -Infinity;
  const added: DeferredView[] = [];
  for (const id of addedIds) {
    const d = store.get(id);
    if (!d) continue;
    if (!nestsNothing(d) || structure.referenced.has(id) || id <= last) return null;
    last = id;
    added.push(d);
  }
  structure.roots = roots;
  const out = removed.size ? rows.filter((r) => r.kind === 'ref' || !removed.has(r.d.id)) : rows;
  const needle = options.search.trim().toLowerCase();
  for (const d of added) {
    roots.push(d.id);
    if (isHidden(d, options) || (needle && !matchesSearch(d, needle))) continue;
    const key = deferredKey(d.id);
    const expanded = options.expanded.get(d.id) ?? false;
    indexById.set(d.id, out.length);
    out.push({ kind: 'deferred', key, level: 1, parentKey: null, d, expanded, details: expanded, relation: null, posinset: 0, setsize: 0 });
    if (!expanded) continue;
    for (let line = 0, n = detailLineCount(d); line < n; line++) {
      out.push({ kind: 'detail', key: `${key}.${line}`, level: 2, parentKey: key, d, line, posinset: line + 1, setsize: n });
    }
  }
  let top = 0;
  for (const r of out) if (r.parentKey === null) r.posinset = ++top;
  for (const r of out) if (r.parentKey === null) r.setsize = top;
  if (removed.size) {
    indexById.clear();
    for (const [i, r] of out.entries()) if (r.kind === 'deferred') indexById.set(r.d.id, i);
  }
  return out;
}
