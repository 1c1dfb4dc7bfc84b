/**
 * The "Deferred Graph" webview panel: one per window, opened or revealed by the command,
 * restored after a reload by the serializer.
 *
 * Delivery is pull-based so memory stays bounded however slow or hidden the webview is: models
 * keep only the latest state per changed Deferred (`takeDelta`), the panel asks for it at most
 * every `flushIntervalMs`, and only while the webview is visible, has said `ready`, and has
 * acknowledged the previous message (a stop's exact tree excepted). A hidden panel loses its
 * webview (no retainContextWhenHidden); when it is shown again the webview says `ready` and
 * gets `init` with the full state.
 */
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import {
  type DeferredView,
  type FromWebviewMessage,
  type GraphHeader,
  type SessionSummary,
  type ToWebviewMessage,
  WEBVIEW_PROTOCOL_VERSION,
} from '../protocol/protocol';
import type { LastSessionStore, RestoredGraph } from './lastSession';
import { packMessage } from './packing';
import { openLocation, otherColumn, panelColumn, rememberPanelColumn, saveExportedImage } from './panelCommands';
import type { SessionManager, SessionRecord } from './sessions';
import { readSettings } from './settings';
import { renderWebviewHtml } from './webviewHtml';

export const VIEW_TYPE = 'deferredGraph';
const TITLE = 'Deferred Graph';
/** A panel hidden this soon after a stop was covered by the stop's source editor. */
const STOP_COVER_WINDOW_MS = 2000;

/**
 * The panel's own state, for the VS Code API suite's assertions. What the webview shows is not
 * here: views are never kept on this side (the models hold the state); the suite rebuilds it
 * from `onDidPostMessage`.
 */
export interface PanelState {
  open: boolean;
  visible: boolean;
  ready: boolean;
  messagesSent: number;
}

/** A session's state as a `full` or `init` message carries it. */
interface FullState {
  header: GraphHeader | null;
  deferreds: DeferredView[];
}

export class GraphPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | null = null;
  private panelDisposables: vscode.Disposable[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  /** Messages posted and not yet acknowledged. */
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private sessionsDirty = true;
  private readonly dirtyGraphs = new Set<string>();
  /** The webview has nothing yet (new, reloaded or re-shown): it gets `init`. */
  private needsInit = true;
  /** The session whose state the webview holds; another active session gets a `full`. */
  private shownSessionId: string | null = null;
  /** The model the webview's rows came from (a restarted session gets a new one). */
  private shownModel: SessionRecord['model'] | null = null;
  private messagesSent = 0;
  private readonly posted = new vscode.EventEmitter<ToWebviewMessage>();
  /** Each message the webview accepted, unpacked, in order (for the VS Code API suite). */
  readonly onDidPostMessage = this.posted.event;
  private lastStopAt = 0;
  private lastSentAt = 0;
  /** The next delivery skips the throttle (see scheduleNow). */
  private urgent = false;
  /** A view switch or reveal waiting until the webview holds the state it refers to. */
  private pendingShow: Extract<ToWebviewMessage, { type: 'show' }> | null = null;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly sessions: SessionManager,
    private readonly lastSession: LastSessionStore | null = null,
    private readonly memento: vscode.Memento | null = null,
  ) {
    this.disposables.push(
      this.posted,
      sessions.onDidChangeSessions(() => {
        this.sessionsDirty = true;
        this.schedule();
      }),
      sessions.onDidChangeGraph((id) => {
        this.dirtyGraphs.add(id);
        this.schedule();
      }),
      sessions.onDidStop(() => {
        this.lastStopAt = Date.now();
      }),
      sessions.onDidApplySnapshot((id) => {
        if (id !== this.sessions.activeSessionId) return;
        // A stop reveals the Deferreds the paused frame's variables name.
        const named =
          this.sessions
            .get(id)
            ?.model.views()
            .filter((v) => v.name !== null) ?? [];
        if (named.length > 0 && this.panel) this.pendingShow = { type: 'show', view: null, reveal: named.map((v) => v.id), select: false };
        this.scheduleNow();
      }),
    );
  }

  /**
   * Opens the panel beside the editor, or reveals it where it is. Focus stays in the editor
   * group (as with Markdown's preview to the side): the debugger opens a stop's source in the
   * active group, and that must not be the panel's, or every stop would hide the panel.
   */
  show(): void {
    if (this.panel) {
      this.panel.reveal(undefined, true);
      return;
    }
    const column = panelColumn(this.memento);
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, TITLE, { viewColumn: column, preserveFocus: true }, this.webviewOptions());
    this.attach(panel);
  }

  /** Takes over a panel VS Code restored after a reload. */
  revive(panel: vscode.WebviewPanel): void {
    if (this.panel) {
      panel.dispose();
      this.panel.reveal();
      return;
    }
    this.attach(panel);
  }

  /**
   * Opens the panel and has the webview switch to `view` and/or select `reveal[0]` (of the
   * active session), once it holds the state those ids refer to.
   */
  showInWebview(view: 'tree' | 'graph' | null, reveal: number[], select: boolean): void {
    this.show();
    this.pendingShow = { type: 'show', view, reveal, select };
    this.schedule(0);
  }

  state(): PanelState {
    return {
      open: this.panel !== null,
      visible: this.panel?.visible ?? false,
      ready: this.ready,
      messagesSent: this.messagesSent,
    };
  }

  private webviewOptions(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')],
    };
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    panel.webview.options = this.webviewOptions();
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.png');
    panel.webview.html = this.html(panel.webview);
    this.ready = false;
    this.panelDisposables = [
      panel.webview.onDidReceiveMessage((message: unknown) => this.received(message)),
      panel.onDidChangeViewState(() => {
        // Without retainContextWhenHidden a hidden webview is torn down; it re-sends `ready`.
        if (panel.visible) {
          rememberPanelColumn(this.memento, panel.viewColumn);
          return;
        }
        this.forgetWebview();
        this.moveAsideIfCoveredByStop(panel);
      }),
      panel.onDidDispose(() => {
        this.forgetWebview();
        this.panel = null;
        for (const disposable of this.panelDisposables) disposable.dispose();
        this.panelDisposables = [];
      }),
    ];
  }

  /**
   * The debugger opens a stop's source in the active editor group; when that is the panel's
   * group (e.g. the panel was the only editor), the source covers the panel exactly when it is
   * most wanted. Then the panel moves beside the source, as a preview to the side would be.
   */
  private moveAsideIfCoveredByStop(panel: vscode.WebviewPanel): void {
    const editor = vscode.window.activeTextEditor;
    const coveredBySource =
      Date.now() - this.lastStopAt < STOP_COVER_WINDOW_MS && editor !== undefined && editor.viewColumn === panel.viewColumn;
    if (coveredBySource) panel.reveal(otherColumn(panel.viewColumn), true);
  }

  private html(webview: vscode.Webview): string {
    const dist = (...parts: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', ...parts)).toString();
    return renderWebviewHtml({
      cspSource: webview.cspSource,
      nonce: crypto.randomBytes(16).toString('base64'),
      scriptUri: dist('webview.js'),
      styleUri: dist('webview.css'),
      codiconsUri: dist('codicons', 'codicon.css'),
    });
  }

  private forgetWebview(): void {
    this.ready = false;
    this.needsInit = true;
    this.forgetShown();
  }

  /** Which state we believe the webview shows: none. */
  private forgetShown(): void {
    this.shownSessionId = null;
    this.shownModel = null;
  }

  private received(message: unknown): void {
    if (typeof message !== 'object' || message === null) return;
    const msg = message as FromWebviewMessage;
    switch (msg.type) {
      case 'ready':
        this.forgetWebview();
        this.ready = true;
        this.sessionsDirty = true;
        this.schedule(0);
        break;
      case 'selectSession':
        if (typeof msg.sessionId === 'string') this.sessions.setActive(msg.sessionId);
        break;
      case 'openLocation':
        void openLocation(msg.file, msg.line);
        break;
      case 'exportImage':
        void saveExportedImage(msg.format, msg.data);
        break;
      case 'clearEnded':
        this.sessions.clearEnded();
        break;
    }
  }

  /**
   * Throttles delivery to one message per `flushIntervalMs`, on the leading edge: a change after
   * a quiet spell goes out at once (latency), a burst waits out the rest of the interval and then
   * goes out as one delta (the model keeps only the latest state per Deferred meanwhile).
   */
  private schedule(delayMs?: number): void {
    if (this.timer || !this.panel) return;
    const throttled = Math.max(0, this.lastSentAt + readSettings().flushIntervalMs - Date.now());
    const delay = delayMs ?? (this.urgent ? 0 : throttled);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, delay);
  }

  /**
   * A stop's exact tree skips the throttle and does not wait for the message in flight to be
   * acknowledged (VS Code keeps the order): the user is waiting for it, and the program is
   * stopped, so no burst follows.
   */
  private scheduleNow(): void {
    this.urgent = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.schedule();
  }

  /** Sends what changed since the last delivery, one message at a time (but see scheduleNow). */
  private async flush(): Promise<void> {
    if ((this.inFlight > 0 && !this.urgent) || !this.panel || !this.ready || !this.panel.visible) return;
    this.inFlight += 1;
    try {
      const message = this.nextMessage();
      this.urgent = false;
      if (message) {
        this.messagesSent += 1;
        this.lastSentAt = Date.now();
        const delivered = await this.panel.webview.postMessage(packMessage(message));
        if (delivered) this.posted.fire(message);
        else this.forgetWebview();
      }
    } catch {
      this.forgetWebview();
    } finally {
      this.inFlight -= 1;
    }
    if (this.inFlight === 0 && (this.sessionsDirty || this.dirtyGraphs.size > 0 || this.pendingShow)) this.schedule();
  }

  /** The graph saved before a reload, shown (as ended) only while no live session is active. */
  private restored(): RestoredGraph | null {
    return this.sessions.activeSessionId === null ? (this.lastSession?.restored ?? null) : null;
  }

  private summaries(): SessionSummary[] {
    const restored = this.restored();
    return restored ? [...this.sessions.summaries(), restored.summary] : this.sessions.summaries();
  }

  /** The next message the webview needs, updating what we believe it shows. */
  private nextMessage(): ToWebviewMessage | null {
    const activeId = this.sessions.activeSessionId;
    const record = activeId ? this.sessions.get(activeId) : undefined;
    const restored = this.restored();
    if (this.needsInit) {
      this.needsInit = false;
      this.sessionsDirty = false;
      const full = !record && restored ? this.showRestored(restored) : this.showFull(record);
      return {
        type: 'init',
        version: WEBVIEW_PROTOCOL_VERSION,
        sessions: this.summaries(),
        activeSessionId: this.shownSessionId,
        ...full,
      };
    }
    if (this.sessionsDirty) {
      this.sessionsDirty = false;
      const shownNext = activeId ?? restored?.summary.id ?? null;
      // The webview empties its tree when the active session changes (then waits for `full`).
      // Forget which session it showed too, or a switch away and back before that `full` went
      // out would leave us believing the webview still shows the session it just emptied.
      if (shownNext !== this.shownSessionId) {
        this.forgetShown();
        if (shownNext !== null) this.dirtyGraphs.add(shownNext); // so that `full` follows
      }
      return { type: 'sessions', sessions: this.summaries(), activeSessionId: shownNext };
    }
    if (!record || !activeId) {
      this.dirtyGraphs.clear();
      if (restored && this.shownSessionId !== restored.summary.id) {
        const { deferreds } = this.showRestored(restored);
        return { type: 'full', sessionId: restored.summary.id, header: restored.header, deferreds };
      }
      if (!restored) this.showFull(undefined);
      return this.takeShow();
    }
    if (this.shownSessionId !== activeId || this.shownModel !== record.model) {
      const { deferreds } = this.showFull(record);
      return { type: 'full', sessionId: activeId, header: record.model.header(), deferreds };
    }
    if (!this.dirtyGraphs.has(activeId)) {
      this.dirtyGraphs.clear();
      return this.takeShow();
    }
    this.dirtyGraphs.clear();
    const delta = record.model.takeDelta();
    return { type: 'delta', sessionId: activeId, header: record.model.header(), ...delta };
  }

  /** The waiting view switch or reveal, once everything it refers to has been sent. */
  private takeShow(): ToWebviewMessage | null {
    const show = this.pendingShow;
    this.pendingShow = null;
    return show;
  }

  /** A session's full state for the webview (its pending delta is in it, so discarded). */
  private showFull(record: SessionRecord | undefined): FullState {
    this.dirtyGraphs.clear();
    if (!record) {
      this.shownSessionId = null;
      this.shownModel = null;
      return { header: null, deferreds: [] };
    }
    this.shownModel = record.model;
    record.model.takeDelta();
    this.shownSessionId = record.session.id;
    return { header: record.model.header(), deferreds: record.model.views() };
  }

  /** A restored (ended, saved) graph for the webview; it never changes, so no model backs it. */
  private showRestored(restored: RestoredGraph): FullState {
    this.dirtyGraphs.clear();
    this.shownModel = null;
    this.shownSessionId = restored.summary.id;
    return { header: restored.header, deferreds: restored.deferreds };
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.panel?.dispose();
    for (const disposable of this.disposables) disposable.dispose();
  }
}
