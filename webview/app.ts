/**
 * The webview application: keeps the active session's Deferreds, applies the host's messages
 * and draws header and tree. `init` and `full` replace everything and draw at once (the exact
 * state at a stop); `delta`s are applied to the store immediately but drawn at most once per
 * animation frame, however many arrive — that is what keeps 5,000 events/s cheap.
 *
 * A frame's draw takes the cheapest path the updates allow: content changes patch the rows in
 * place (patch.ts), lone top-level Deferreds created or collected are spliced in, and only a
 * change of nesting, filters or expansion rebuilds the rows (tree.ts) — spaced out when costly.
 */
import {
  WEBVIEW_PROTOCOL_VERSION,
  type DeferredView,
  type GraphHeader,
  type SessionSummary,
  type ToWebviewMessage,
} from '../src/protocol/protocol';
import { HeaderView } from './header';
import { persistableViewState, rememberExpansion, restoreViewState, type HostApi, type ViewState } from './host';
import { indexDeferredRows, patchLeafRoots, patchRows } from './patch';
import { buildStructure, deferredKey, flatten, nestingChanged, type Row, type Structure } from './tree';
import { TreeView } from './treeView';
import { unpackMessage } from './unpack';
import { isPackedMessage } from '../src/protocol/protocol';

export interface AppTiming {
  /** Runs a callback before the next paint (requestAnimationFrame). */
  scheduleFrame(callback: () => void): unknown;
  /** Milliseconds, monotonic (performance.now). */
  now(): number;
}

const browserTiming: AppTiming = {
  scheduleFrame: (callback) => requestAnimationFrame(callback),
  now: () => performance.now(),
};

/** Updates kept for patching between two frames; beyond this, the next frame rebuilds. */
const MAX_PENDING_UPDATES = 50_000;

/** A rebuild of the rows costing more than this is spaced out (see `onFrame`). */
const REBUILD_BUDGET_MS = 4;

/** Accepts only messages of a known type with the fields the handlers read. */
export function isToWebviewMessage(data: unknown): data is ToWebviewMessage {
  if (!data || typeof data !== 'object') return false;
  const m = data as Record<string, unknown>;
  switch (m.type) {
    case 'init':
      return Array.isArray(m.sessions) && Array.isArray(m.deferreds);
    case 'sessions':
      return Array.isArray(m.sessions);
    case 'delta':
      return typeof m.sessionId === 'string' && Array.isArray(m.upserts) && Array.isArray(m.removed) && !!m.header;
    case 'full':
      return typeof m.sessionId === 'string' && Array.isArray(m.deferreds) && !!m.header;
    default:
      return false;
  }
}

function isDeferredView(d: unknown): d is DeferredView {
  return !!d && typeof d === 'object' && Number.isInteger((d as DeferredView).id) && Array.isArray((d as DeferredView).callbacks);
}

export class DeferredGraphApp {
  readonly store = new Map<number, DeferredView>();
  sessions: SessionSummary[] = [];
  activeSessionId: string | null = null;
  header: GraphHeader | null = null;
  readonly view: ViewState;
  rows: Row[] = [];
  /**
   * Where each Deferred sits in the tree. Rebuilt only when Deferreds come or go or what one
   * waits on changes; most live updates (callbacks, results) keep it.
   */
  private structure: Structure | null = null;
  /** Updates since the last draw, (before, after), for patching rows in place. */
  private changes: Array<[DeferredView, DeferredView]> = [];
  /** Deferreds that came and went since the last draw. */
  private addedIds: number[] = [];
  private removedIds: number[] = [];
  /** Set when only a full rebuild of the rows will do (filters, expansion, new Deferreds...). */
  private reshape = true;
  private rowIndex = new Map<number, number>();
  /** The store's ids ascending, kept as ids arrive (serial ids mostly append); null: re-sort. */
  private ids: number[] | null = [];
  private idsHaveRemovals = false;
  private error: string | null = null;
  private malformed = 0;
  private framePending = false;
  /** Cost and end time of the last full rebuild of the rows. */
  private rebuildMs = 0;
  private lastRebuildEnd = 0;
  /** A reshape the user asked for (typing a search, a filter) is never deferred. */
  private userReshape = false;
  private scrollRestored = false;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  /** Messages still being unpacked, so that they are handled in the order they arrived. */
  private inbox: Promise<void> = Promise.resolve();
  private unpacking = 0;
  private readonly headerView: HeaderView;
  readonly tree: TreeView;

  constructor(
    readonly root: HTMLElement,
    private readonly host: HostApi,
    private readonly timing: AppTiming = browserTiming,
  ) {
    this.view = restoreViewState(host.getState());
    this.headerView = new HeaderView(this.view, {
      selectSession: (id) => this.host.postMessage({ type: 'selectSession', sessionId: id }),
      filtersChanged: () => {
        this.userReshape = true;
        this.invalidate(true);
      },
    });
    this.tree = new TreeView({
      toggle: (id, expand) => {
        rememberExpansion(this.view, id, expand);
        this.invalidate(true);
        this.flush();
      },
      openLocation: (file, line) => this.host.postMessage({ type: 'openLocation', file, line }),
      reveal: (id) => this.reveal(id),
      changed: () => this.saveSoon(),
    });
    this.tree.selectedKey = this.view.selectedKey;
    const columns = document.createElement('div');
    columns.className = 'columns';
    columns.setAttribute('aria-hidden', 'true');
    for (const [cls, text] of [['col-label', 'Deferred'], ['col-state', 'State'], ['col-result', 'Result'], ['col-callbacks', 'Callbacks']]) {
      const c = document.createElement('span');
      c.className = cls;
      c.textContent = text;
      columns.append(c);
    }
    root.replaceChildren(this.headerView.element, columns, this.tree.element);
    this.render();
  }

  /** Listens to the host and starts the handshake: the host answers `ready` with `init`. */
  start(target: Window = window): void {
    target.addEventListener('message', (event: MessageEvent) => this.receive(event.data));
    this.host.postMessage({ type: 'ready', version: WEBVIEW_PROTOCOL_VERSION });
  }

  /**
   * Handles a message from the host, packed or not, in arrival order: a plain message goes
   * straight through unless a packed one before it is still inflating. Resolves once handled.
   */
  receive(data: unknown): Promise<void> {
    if (this.unpacking === 0 && !isPackedMessage(data)) {
      this.handleMessage(data);
      return Promise.resolve();
    }
    this.unpacking += 1;
    const unpacked = unpackMessage(data);
    this.inbox = this.inbox.then(async () => {
      try {
        this.handleMessage(await unpacked);
      } finally {
        this.unpacking -= 1;
      }
    }).catch(() => undefined); // a failed draw must not stall the messages after it
    return this.inbox;
  }

  handleMessage(data: unknown): void {
    if (!isToWebviewMessage(data)) {
      this.malformed++;
      this.error = `Ignored ${this.malformed} malformed message${this.malformed === 1 ? '' : 's'} from the extension.`;
      this.invalidate(false);
      return;
    }
    switch (data.type) {
      case 'init':
        this.error = data.version === WEBVIEW_PROTOCOL_VERSION ? null
          : `The extension speaks webview protocol ${data.version}, this view ${WEBVIEW_PROTOCOL_VERSION}: reload the window.`;
        this.sessions = data.sessions;
        this.activeSessionId = data.activeSessionId;
        this.enterSession(data.activeSessionId);
        this.header = data.header;
        this.replaceAll(data.deferreds);
        this.render();
        break;
      case 'sessions':
        if (data.activeSessionId !== this.activeSessionId) {
          this.replaceAll([]);
          this.header = null;
        }
        this.sessions = data.sessions;
        this.activeSessionId = data.activeSessionId;
        this.enterSession(data.activeSessionId);
        this.render();
        break;
      case 'full':
        this.activeSessionId = data.sessionId;
        this.enterSession(data.sessionId);
        this.header = data.header;
        this.replaceAll(data.deferreds);
        this.render();
        break;
      case 'delta':
        if (data.sessionId !== this.activeSessionId) return;
        this.header = data.header;
        for (const id of data.removed) {
          if (!this.store.delete(id)) continue;
          this.removedIds.push(id);
          this.idsHaveRemovals = true;
        }
        for (const d of data.upserts) {
          if (!isDeferredView(d)) continue;
          const before = this.store.get(d.id);
          if (!before) {
            this.noteNewId(d.id);
            this.addedIds.push(d.id);
          } else if (nestingChanged(before, d)) this.structure = null;
          else this.changes.push([before, d]);
          this.store.set(d.id, d);
        }
        // Frames stop while the webview is hidden: past this many pending updates, a rebuild
        // at the next frame is cheaper than keeping them all.
        if (this.changes.length + this.addedIds.length + this.removedIds.length > MAX_PENDING_UPDATES) this.dropPending();
        this.invalidate(false);
        break;
    }
  }

  /**
   * Expansion choices, selection and scroll are kept per session: ids restart in every
   * process, so a new debug run must not inherit the last run's open rows.
   */
  private enterSession(id: string | null): void {
    if (id === this.view.sessionId || id === null) return;
    const unknown = this.view.sessionId === null; // choices made before any session: keep them
    this.view.sessionId = id;
    if (unknown) return;
    this.view.expanded.clear();
    this.view.selectedKey = null;
    this.tree.selectedKey = null;
    this.view.scrollTop = 0;
    if (this.scrollRestored) this.tree.scrollTo(0);
  }

  private dropPending(): void {
    this.changes = [];
    this.addedIds = [];
    this.removedIds = [];
    this.structure = null;
    this.reshape = true;
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

  private replaceAll(deferreds: DeferredView[]): void {
    this.store.clear();
    this.structure = null;
    this.ids = null;
    for (const d of deferreds) if (isDeferredView(d)) this.store.set(d.id, d);
    this.reshape = true;
  }

  /**
   * Marks the view stale; draws on the next animation frame (once, however often called).
   * `reshape` says the rows must be rebuilt (filters, expansion), not just updated.
   */
  invalidate(reshape: boolean): void {
    this.reshape ||= reshape;
    if (this.framePending) return;
    this.framePending = true;
    this.timing.scheduleFrame(() => this.onFrame());
  }

  /**
   * A frame's draw. When the tree keeps changing shape (Deferreds created and collected by the
   * thousand) and a rebuild is costly, rebuilds wait until as much time has passed as the last
   * one took, so drawing never takes more than about half the time and scrolling, keys and
   * clicks stay responsive; updates in between still coalesce into the next draw.
   */
  private onFrame(): void {
    const mayRebuild = this.reshape || this.structure === null;
    if (mayRebuild && !this.userReshape && this.rebuildMs > REBUILD_BUDGET_MS && this.timing.now() - this.lastRebuildEnd < this.rebuildMs) {
      this.timing.scheduleFrame(() => this.onFrame());
      return;
    }
    this.render();
  }

  /** Draws now if anything is pending (tests and the bench call it to skip waiting a frame). */
  flush(): void {
    if (this.framePending) this.render();
  }

  /** Rebuilds the rows and draws header and the visible window. */
  render(): void {
    this.framePending = false;
    const patched = this.reshape ? null : this.patch();
    if (patched) this.rows = patched;
    else {
      if (this.addedIds.length || this.removedIds.length) this.structure = null;
      const start = this.timing.now();
      this.structure ??= buildStructure(this.store, this.sortedIds());
      this.rows = flatten(this.store, this.view, this.structure);
      this.rowIndex = indexDeferredRows(this.rows);
      this.lastRebuildEnd = this.timing.now();
      this.rebuildMs = this.lastRebuildEnd - start;
    }
    this.changes = [];
    this.addedIds = [];
    this.removedIds = [];
    this.reshape = false;
    this.userReshape = false;
    const lookup = (id: number): DeferredView | undefined => this.store.get(id);
    this.tree.setRows(this.rows, lookup);
    this.headerView.update({
      sessions: this.sessions,
      activeSessionId: this.activeSessionId,
      header: this.header,
      error: this.error,
      shown: this.rows.length,
    });
    if (!this.scrollRestored && this.rows.length > 0) {
      this.scrollRestored = true;
      this.tree.scrollTo(this.view.scrollTop);
    }
    // What the empty tree says: nothing yet, or nothing passing the filters and search.
    this.root.dataset.empty = this.store.size === 0 ? 'true' : this.rows.length === 0 ? 'filtered' : 'false';
    this.saveSoon();
  }

  /** Brings the rows up to date without a rebuild when the updates allow it, else null. */
  private patch(): Row[] | null {
    if (!this.structure) return null;
    let rows: Row[] | null = this.rows;
    if (this.addedIds.length || this.removedIds.length) {
      rows = patchLeafRoots(this.structure, rows, this.rowIndex, this.store, this.addedIds, this.removedIds, this.view);
    }
    return rows && patchRows(rows, this.rowIndex, this.changes, this.view);
  }

  /** Opens the path to a Deferred and selects its row. */
  reveal(id: number): void {
    if (!this.store.has(id)) return;
    this.structure ??= buildStructure(this.store, this.sortedIds());
    const { parent } = this.structure;
    // A parent is open by default (it has a child); undo a "closed" choice, without adding details.
    for (let p = parent.get(id); p !== undefined; p = parent.get(p)) {
      if (this.view.expanded.get(p) === false) this.view.expanded.delete(p);
    }
    const target = this.store.get(id)!;
    if (this.view.hideCollected && target.collected) this.view.hideCollected = false;
    if (this.view.hideFired && target.status === 'fired') this.view.hideFired = false;
    this.view.search = '';
    this.headerView.syncControls();
    this.reshape = true;
    this.render();
    this.tree.select(deferredKey(id));
  }

  /** View state is saved after the burst of changes that caused it (scrolling fires per frame). */
  private saveSoon(): void {
    if (this.saveTimer !== null) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      this.saveNow();
    }, 150);
  }

  saveNow(): void {
    if (this.scrollRestored) this.view.scrollTop = this.tree.scrollTop;
    this.view.selectedKey = this.tree.selectedKey;
    this.host.setState(persistableViewState(this.view));
  }
}
