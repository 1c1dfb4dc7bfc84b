/**
 * The webview's row model: the active session's Deferreds (the store), where each one sits in
 * the tree (the structure) and the flat list of rows the DOM draws. Messages change the store
 * at once; `update` brings the rows up to date when a frame is drawn, by the cheapest path the
 * changes since the last frame allow: content changes patch the rows in place, lone top-level
 * Deferreds created or collected are spliced in, and only a change of nesting, filters or
 * expansion rebuilds them. Nothing here touches the DOM.
 */
import type { DeferredView } from '../src/protocol/protocol';
import { shapeKey } from './grouping';
import { flatten } from './treeFlatten';
import { indexDeferredRows, patchLeafRoots, patchRows } from './treePatch';
import { buildStructure, nestingChanged, type Row, type Structure, type TreeOptions } from './treeStructure';

/** Updates kept for patching between two frames; beyond this, the next frame rebuilds. */
const MAX_PENDING_UPDATES = 50_000;

function isDeferredView(d: unknown): d is DeferredView {
  return !!d && typeof d === 'object' && Number.isInteger((d as DeferredView).id) && Array.isArray((d as DeferredView).callbacks);
}

export class RowModel {
  private readonly store = new Map<number, DeferredView>();
  /**
   * Where each Deferred sits in the tree. Rebuilt only when Deferreds come or go or what one
   * waits on changes; most live updates (callbacks, results) keep it.
   */
  private structure: Structure | null = null;
  /** Updates since the last `update`, (before, after), for patching rows in place. */
  private changes: Array<[DeferredView, DeferredView]> = [];
  /** Deferreds that came and went since the last `update`. */
  private addedIds: number[] = [];
  private removedIds: number[] = [];
  /** Set when only a full rebuild of the rows will do (filters, expansion, a new state...). */
  private mustRebuild = true;
  private rowIndex = new Map<number, number>();
  /** Deferreds inside a collapsed group or chain row, by that row's index. */
  private covered = new Map<number, number>();
  /** A group row at the top level: a new root may belong to it, so roots are not spliced in. */
  private topGroups = false;
  /** The store's ids ascending, kept as ids arrive (serial ids mostly append); null: re-sort. */
  private ids: number[] | null = [];
  private idsHaveRemovals = false;
  private current: Row[] = [];
  /** Cost and end time of the last full rebuild, for spacing out costly rebuilds. */
  rebuildMs = 0;
  lastRebuildEnd = 0;

  /** `now`: milliseconds, monotonic (the app's clock, so tests control how long a rebuild seems). */
  constructor(private readonly now: () => number) {}

  /** The rows as of the last `update`. */
  get rows(): Row[] {
    return this.current;
  }

  get size(): number {
    return this.store.size;
  }

  readonly lookup = (id: number): DeferredView | undefined => this.store.get(id);

  /** The session's Deferreds by id (read-only for callers: the graph view reads them). */
  get deferreds(): Map<number, DeferredView> {
    return this.store;
  }

  /** Updates waiting for the next `update` (bounded: a hidden webview draws no frames). */
  get pendingUpdates(): number {
    return this.changes.length + this.addedIds.length + this.removedIds.length;
  }

  /** Whether the next `update` may rebuild the rows rather than patch them. */
  get needsRebuild(): boolean {
    return this.mustRebuild || this.structure === null;
  }

  /** The whole state (a stop, a session switch): everything before it is forgotten. */
  replace(deferreds: readonly unknown[]): void {
    this.store.clear();
    this.structure = null;
    this.ids = null;
    for (const d of deferreds) if (isDeferredView(d)) this.store.set(d.id, d);
    this.dropPending();
  }

  /** A live change: Deferreds new or updated, and ids gone. Malformed entries are skipped. */
  apply(upserts: readonly unknown[], removed: readonly number[]): void {
    for (const id of removed) {
      if (!this.store.delete(id)) continue;
      this.removedIds.push(id);
      this.idsHaveRemovals = true;
    }
    for (const d of upserts) {
      if (!isDeferredView(d)) continue;
      const before = this.store.get(d.id);
      if (!before) {
        this.noteNewId(d.id);
        this.addedIds.push(d.id);
      } else if (nestingChanged(before, d)) this.structure = null;
      else this.changes.push([before, d]);
      this.store.set(d.id, d);
    }
    // Frames stop while the webview is hidden: past this many pending updates, a rebuild at
    // the next frame is cheaper than keeping them all.
    if (this.pendingUpdates > MAX_PENDING_UPDATES) this.dropPending();
  }

  /** The rows must be rebuilt, not patched: a filter, the search or an expansion changed. */
  requestRebuild(): void {
    this.mustRebuild = true;
  }

  /** Brings the rows up to date with everything applied since the last call. */
  update(options: TreeOptions): Row[] {
    const patched = this.mustRebuild ? null : this.patch(options);
    if (patched) this.current = patched;
    else {
      if (this.addedIds.length || this.removedIds.length) this.structure = null;
      const start = this.now();
      this.current = flatten(this.store, options, this.currentStructure());
      this.rowIndex = indexDeferredRows(this.current);
      this.indexCovered();
      this.lastRebuildEnd = this.now();
      this.rebuildMs = this.lastRebuildEnd - start;
    }
    this.changes = [];
    this.addedIds = [];
    this.removedIds = [];
    this.mustRebuild = false;
    return this.current;
  }

  /** The Deferreds `id` is nested under, nearest first. */
  ancestors(id: number): number[] {
    const { parent } = this.currentStructure();
    const path: number[] = [];
    for (let p = parent.get(id); p !== undefined; p = parent.get(p)) path.push(p);
    return path;
  }

  /** Where each Deferred sits; the same object until the nesting changes (the graph keys on it). */
  currentStructure(): Structure {
    this.structure ??= buildStructure(this.store, this.sortedIds());
    return this.structure;
  }

  /** The collapsed group or chain row a Deferred is inside (so it has no row of its own), if any. */
  coveringRow(id: number): Row | undefined {
    const index = this.covered.get(id);
    return index === undefined ? undefined : this.current[index];
  }

  /**
   * The structure with every change applied, without bringing the rows up to date (the graph
   * view needs only the structure); the rows are rebuilt when next asked for.
   */
  structureNow(): Structure {
    if (this.addedIds.length || this.removedIds.length) this.structure = null;
    if (this.addedIds.length || this.removedIds.length || this.changes.length) {
      this.changes = [];
      this.addedIds = [];
      this.removedIds = [];
      this.mustRebuild = true;
    }
    return this.currentStructure();
  }

  /** Which Deferreds a collapsed group or chain row stands for (their changes patch that row). */
  private indexCovered(): void {
    this.covered = new Map();
    this.topGroups = false;
    this.current.forEach((row, i) => {
      if (row.kind === 'group' && !row.expanded) for (const id of row.members) this.covered.set(id, i);
      if (row.kind === 'chain' && !row.expanded) for (const id of row.run) this.covered.set(id, i);
      if (row.kind === 'group' && row.parentKey === null) this.topGroups = true;
    });
  }

  /**
   * A change to a Deferred inside a collapsed row: the row shows its new words when it is the
   * one the row describes; a group member that changed shape may leave the group: rebuild.
   */
  private patchCovered(): boolean {
    for (const [before, after] of this.changes) {
      const index = this.covered.get(after.id);
      if (index === undefined) continue;
      const row = this.current[index];
      if (row.kind === 'group' && shapeKey(before) !== shapeKey(after)) return false;
      if ((row.kind === 'group' || row.kind === 'chain') && row.d.id === after.id) row.d = after;
    }
    return true;
  }

  /** The rows without a rebuild when the changes allow it, else null. */
  private patch(options: TreeOptions): Row[] | null {
    if (!this.structure || !this.patchCovered()) return null;
    let rows: Row[] | null = this.current;
    if (this.addedIds.length || this.removedIds.length) {
      if (this.topGroups) return null;
      rows = patchLeafRoots(this.structure, rows, this.rowIndex, this.store, this.addedIds, this.removedIds, options);
    }
    return rows && patchRows(rows, this.rowIndex, this.changes, options);
  }

  private dropPending(): void {
    this.changes = [];
    this.addedIds = [];
    this.removedIds = [];
    this.structure = null;
    this.mustRebuild = true;
  }

  private noteNewId(id: number): void {
    if (this.ids && (this.ids.length === 0 || id > this.ids[this.ids.length - 1])) this.ids.push(id);
    else this.ids = null;
  }

  private sortedIds(): number[] {
    if (!this.ids) this.ids = [...this.store.keys()].sort((x, y) => x - y);
    else if (this.idsHaveRemovals) this.ids = this.ids.filter((id) => this.store.has(id));
    this.idsHaveRemovals = false;
    return this.ids;
  }
}
