/**
 * The webview application: applies the host's messages to the row model (rowModel.ts) and
 * draws header and tree (header.ts, treeDom.ts). `init` and `full` both carry a whole state
 * and go through one path that replaces everything and draws at once (the exact state at a
 * stop); `delta`s are applied to the row model immediately but drawn at most once per
 * animation frame, however many arrive — that is what keeps 5,000 events/s cheap. Costly
 * rebuilds of the rows are spaced out (see `onFrame`). Also keeps the view state (filters,
 * expansion, scroll) saved in the host and messages in arrival order while they unpack.
 */

import { isStuck } from '../src/model/view';
import {
  type GraphHeader,
  isPackedMessage,
  type SessionSummary,
  type ToWebviewMessage,
  WEBVIEW_PROTOCOL_VERSION,
} from '../src/protocol/protocol';
import { ColumnHeader } from './columns';
import { GraphPanel } from './graphPanel';
import { HeaderView } from './header';
import { type HostApi, persistableViewState, rememberExpansion, restoreViewState, type ViewState } from './host';
import { ProgramClock } from './programClock';
import { RowModel } from './rowModel';
import { TreeDom } from './treeDom';
import { deferredKey, deferredsShown, isSummary } from './treeStructure';
import { unpackMessage } from './unpack';

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
    case 'show':
      return (
        (m.view === null || m.view === 'tree' || m.view === 'graph') &&
        Array.isArray(m.reveal) &&
        m.reveal.every((id) => Number.isInteger(id))
      );
    default:
      return false;
  }
}

export class DeferredGraphApp {
  sessions: SessionSummary[] = [];
  activeSessionId: string | null = null;
  header: GraphHeader | null = null;
  readonly view: ViewState;
  readonly rowModel: RowModel;
  private error: string | null = null;
  private malformed = 0;
  private framePending = false;
  /** A rebuild the user asked for (typing a search, a filter) is never deferred. */
  private userRebuild = false;
  private scrollRestored = false;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  /** Messages still being unpacked, so that they are handled in the order they arrived. */
  private inbox: Promise<void> = Promise.resolve();
  private unpacking = 0;
  private readonly clock: ProgramClock;
  private readonly headerView: HeaderView;
  readonly tree: TreeDom;
  readonly graph: GraphPanel;

  constructor(
    readonly root: HTMLElement,
    private readonly host: HostApi,
    private readonly timing: AppTiming = browserTiming,
  ) {
    this.view = restoreViewState(host.getState());
    this.rowModel = new RowModel(() => this.timing.now());
    this.clock = new ProgramClock({
      now: () => this.timing.now(),
      requestRebuild: () => this.rowModel.requestRebuild(),
      recheck: () => this.invalidate(true),
    });
    this.headerView = new HeaderView(this.view, {
      selectSession: (id) => this.host.postMessage({ type: 'selectSession', sessionId: id }),
      clearEnded: () => this.host.postMessage({ type: 'clearEnded' }),
      filtersChanged: () => {
        this.userRebuild = true;
        this.invalidate(true);
      },
      setMode: (mode) => this.setMode(mode),
    });
    this.tree = new TreeDom({
      toggle: (id, expand) => {
        rememberExpansion(this.view, id, expand);
        this.invalidate(true);
        this.flush();
      },
      openLocation: (file, line) => this.host.postMessage({ type: 'openLocation', file, line }),
      reveal: (id) => this.reveal(id),
      toggleKey: (key, expand) => {
        if (key.startsWith('g')) {
          if (expand) this.view.expandedGroups.add(key);
          else this.view.expandedGroups.delete(key);
        } else if (expand) this.view.expandedChains.add(Number(key.slice(1)));
        else this.view.expandedChains.delete(Number(key.slice(1)));
        this.invalidate(true);
        this.flush();
      },
      changed: () => this.saveSoon(),
      selected: (key) => {
        // A group row stands for its first member, a chain row for its root.
        const row = this.rowModel.rows.find((r) => r.key === key);
        if (isSummary(row)) this.graph.select(row.d.id);
      },
    });
    this.tree.selectedKey = this.view.selectedKey;
    this.graph = new GraphPanel(this.view, this.rowModel, {
      selected: (id) => this.reveal(id),
      post: (message) => this.host.postMessage(message),
      changed: () => this.saveSoon(),
    });
    const selectedId = /^d(\d+)$/.exec(this.view.selectedKey ?? '');
    if (selectedId) this.graph.focusId = Number(selectedId[1]);
    const columns = new ColumnHeader(root, this.view, (labelPx) => {
      if (Math.abs(labelPx - this.tree.labelColumnPx) < 1) return;
      this.tree.labelColumnPx = labelPx;
      this.tree.render();
      this.saveSoon();
    });
    root.replaceChildren(this.headerView.element, columns.element, this.tree.element, this.graph.element);
    this.applyMode();
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
    this.inbox = this.inbox
      .then(async () => {
        try {
          this.handleMessage(await unpacked);
        } finally {
          this.unpacking -= 1;
        }
      })
      .catch(() => undefined); // a failed draw must not stall the messages after it
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
        this.error =
          data.version === WEBVIEW_PROTOCOL_VERSION
            ? null
            : `The extension speaks webview protocol ${data.version}, this view ${WEBVIEW_PROTOCOL_VERSION}: reload the window.`;
        this.sessions = data.sessions;
        this.showState(data.activeSessionId, data.header, data.deferreds);
        break;
      case 'full':
        this.showState(data.sessionId, data.header, data.deferreds);
        break;
      case 'sessions':
        this.sessions = data.sessions;
        // Another session is shown empty until its full state arrives.
        if (data.activeSessionId !== this.activeSessionId) this.showState(data.activeSessionId, null, []);
        else this.render();
        break;
      case 'delta':
        if (data.sessionId !== this.activeSessionId) return;
        this.setHeader(data.header);
        this.rowModel.apply(data.upserts, data.removed);
        this.graph.noteChanges(data.removed);
        this.graph.noteChanges(data.upserts.map((d) => d.id));
        this.invalidate(false);
        break;
      case 'show':
        this.show(data.view, data.reveal, data.select);
        break;
    }
  }

  /** A command or a stop: switch views and bring Deferreds into view, selecting the first if asked (or if nothing is). */
  private show(view: 'tree' | 'graph' | null, reveal: number[], select: boolean): void {
    if (view) this.setMode(view);
    const first = reveal.find((id) => this.rowModel.lookup(id));
    if (first !== undefined && (select || this.tree.selectedKey === null)) this.reveal(first);
  }

  /** Switches between the tree and the graph (the same model, the same selection). */
  setMode(mode: 'tree' | 'graph'): void {
    if (this.view.mode === mode) return;
    this.view.mode = mode;
    this.applyMode();
    this.render();
    const selected = this.tree.selectedKey;
    if (mode === 'tree' && selected) {
      const id = Number(selected.slice(1));
      if (selected.startsWith('d') && this.rowModel.coveringRow(id)) this.reveal(id);
      else this.tree.select(selected);
    }
  }

  private applyMode(): void {
    this.root.dataset.mode = this.view.mode;
    this.graph.active = this.view.mode === 'graph';
    this.headerView.syncControls();
  }

  /** A whole state (`init`, `full`, a session switch): replaces everything and draws at once. */
  private showState(sessionId: string | null, header: GraphHeader | null, deferreds: readonly unknown[]): void {
    this.activeSessionId = sessionId;
    this.enterSession(sessionId);
    this.setHeader(header);
    this.rowModel.replace(deferreds);
    this.render();
  }

  private setHeader(header: GraphHeader | null): void {
    this.header = header;
    this.clock.note(header);
  }

  private running(): boolean {
    return this.sessions.find((s) => s.id === this.activeSessionId)?.state === 'running';
  }

  /** The program's clock now (programClock.ts), what "only stuck" measures against. */
  programClock(): number | null {
    return this.clock.read(this.running());
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
    this.view.expandedGroups.clear();
    this.view.expandedChains.clear();
    this.graph.focusId = null;
    this.view.selectedKey = null;
    this.tree.selectedKey = null;
    this.view.scrollTop = 0;
    if (this.scrollRestored) this.tree.scrollTo(0);
  }

  /**
   * Marks the view stale; draws on the next animation frame (once, however often called).
   * `rebuild` says the rows must be rebuilt (filters, expansion), not just updated.
   */
  invalidate(rebuild: boolean): void {
    if (rebuild) this.rowModel.requestRebuild();
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
    const { rebuildMs, lastRebuildEnd } = this.rowModel;
    if (
      this.rowModel.needsRebuild &&
      !this.userRebuild &&
      rebuildMs > REBUILD_BUDGET_MS &&
      this.timing.now() - lastRebuildEnd < rebuildMs
    ) {
      this.timing.scheduleFrame(() => this.onFrame());
      return;
    }
    this.render();
  }

  /** Draws now if anything is pending (tests and the bench call it to skip waiting a frame). */
  flush(): void {
    if (this.framePending) this.render();
  }

  /** Brings the rows up to date and draws header and the visible window. */
  render(): void {
    this.framePending = false;
    // The hidden tree is not kept up to date while the graph shows: its rows catch up when it is shown again.
    const treeShown = this.view.mode === 'tree';
    const rows = treeShown
      ? this.rowModel.update({ ...this.view, clock: this.clock.forRows(this.view.onlyStuck, this.running()) })
      : this.rowModel.rows;
    this.userRebuild = false;
    if (treeShown) this.tree.setRows(rows, this.rowModel.lookup);
    this.headerView.update({
      sessions: this.sessions,
      activeSessionId: this.activeSessionId,
      header: this.header,
      error: this.error,
      shown: deferredsShown(rows),
    });
    if (!this.scrollRestored && rows.length > 0) {
      this.scrollRestored = true;
      this.tree.scrollTo(this.view.scrollTop);
    }
    // What the empty tree says: nothing yet, or nothing passing the filters and search.
    this.root.dataset.empty = this.rowModel.size === 0 ? 'true' : rows.length === 0 ? 'filtered' : 'false';
    this.graph.update();
    this.saveSoon();
  }

  /** Opens the path to a Deferred and selects its row. */
  reveal(id: number): void {
    const target = this.rowModel.lookup(id);
    if (!target) return;
    // A parent is open by default (it has a child); undo a "closed" choice, without adding details.
    for (const p of this.rowModel.ancestors(id)) {
      if (this.view.expanded.get(p) === false) this.view.expanded.delete(p);
    }
    if (this.view.hideCollected && target.collected) this.view.hideCollected = false;
    if (this.view.hideFired && target.status === 'fired') this.view.hideFired = false;
    if (this.view.onlyStuck && !isStuck(target, this.programClock())) this.view.onlyStuck = false;
    this.view.search = '';
    this.headerView.syncControls();
    const key = deferredKey(id);
    // Inside a collapsed group or chain (nested ones too): open them until its own row exists.
    for (let depth = 0; depth < 8; depth++) {
      this.rowModel.requestRebuild();
      this.render();
      const covering = this.rowModel.coveringRow(id);
      if (!covering || this.view.mode !== 'tree') break;
      if (covering.kind === 'group') this.view.expandedGroups.add(covering.key);
      else if (covering.kind === 'chain') this.view.expandedChains.add(covering.run[0]);
    }
    if (this.view.mode === 'tree')
      this.tree.select(key); // the graph follows the tree's selection
    else {
      this.tree.selectedKey = key; // selected (and scrolled to) when the tree is shown
      this.graph.select(id);
    }
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
