/**
 * Per debug session state: one chain model per Python debug session (child sessions and
 * concurrent sessions each get their own), fed by the DAP route (dapRoute.ts), the session's
 * loopback socket, and its stop snapshots (stopSnapshots.ts) in the frame the user selected.
 *
 * The manager never talks to the webview; it raises `onDidChangeSessions` and
 * `onDidChangeGraph`, and the panel pulls coalesced deltas from the models when it can deliver
 * them — so a slow or hidden webview costs at most one state per Deferred here.
 */
import * as vscode from 'vscode';
import type { Batch, SessionSummary } from '../protocol/protocol';
import { injectedToken, isInjectable, isInjected } from './injection';
import * as notices from './notices';
import { unpackBatch } from './packing';
import { type NoticeKind, newModel, newRecord, type SessionRecord } from './sessionRecord';
import { PYTHON_DEBUG_TYPES, readSettings } from './settings';
import type { RuntimeSocketServer } from './socketServer';
import type { StopHost } from './stopSnapshots';

export type { SessionRecord } from './sessionRecord';

/** Ended sessions kept for inspection after the program exits (oldest forgotten first). */
const ENDED_SESSIONS_KEPT = 5;

/** How long a terminated session's socket server waits for a restart before closing. */
const RESTART_GRACE_MS = 3000;

export class SessionManager implements vscode.Disposable {
  private readonly records = new Map<string, SessionRecord>();
  private readonly servers = new Map<string, RuntimeSocketServer>();
  private activeId: string | null = null;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly sessionsChanged = new vscode.EventEmitter<void>();
  private readonly graphChanged = new vscode.EventEmitter<string>();
  private readonly sessionStarted = new vscode.EventEmitter<SessionRecord>();
  private readonly sessionStopped = new vscode.EventEmitter<SessionRecord>();
  private readonly snapshotApplied = new vscode.EventEmitter<string>();
  /** The session list, its states, notices or the active session changed. */
  readonly onDidChangeSessions = this.sessionsChanged.event;
  /** A session's model changed (its id). */
  readonly onDidChangeGraph = this.graphChanged.event;
  /** A top-level Python debug session started (used by openOnDebugStart). */
  readonly onDidStartSession = this.sessionStarted.event;
  /** A session stopped (breakpoint, step, exception). */
  readonly onDidStop = this.sessionStopped.event;
  /** A stop's exact snapshot is in a session's model (its id); onDidChangeGraph fires too. */
  readonly onDidApplySnapshot = this.snapshotApplied.event;

  constructor(
    private readonly packageDir: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      this.sessionsChanged,
      this.graphChanged,
      this.sessionStarted,
      this.sessionStopped,
      this.snapshotApplied,
      vscode.debug.onDidStartDebugSession((session) => this.started(session)),
      vscode.debug.onDidTerminateDebugSession((session) => this.terminated(session)),
      vscode.debug.onDidChangeActiveDebugSession((session) => {
        if (session && this.records.has(session.id)) this.setActive(session.id);
      }),
      vscode.debug.onDidChangeActiveStackItem((item) => {
        if (item instanceof vscode.DebugStackFrame) this.records.get(item.session.id)?.stops.frameSelected(item.frameId);
      }),
    );
    for (const session of vscode.debug.activeDebugSession ? [vscode.debug.activeDebugSession] : []) {
      this.ensure(session);
    }
  }

  /** Keeps a socket server until the session launched with its token claims it. */
  adoptServer(server: RuntimeSocketServer, unclaimedTimeoutMs = 120_000): void {
    this.servers.set(server.token, server);
    const timer = setTimeout(() => {
      if (this.servers.get(server.token) === server) {
        this.servers.delete(server.token);
        server.close();
      }
    }, unclaimedTimeoutMs);
    timer.unref?.();
  }

  get activeSessionId(): string | null {
    return this.activeId;
  }

  setActive(id: string): void {
    if (!this.records.has(id) || this.activeId === id) return;
    this.activeId = id;
    this.sessionsChanged.fire();
  }

  get(id: string): SessionRecord | undefined {
    return this.records.get(id);
  }

  /** Sessions in start order, as the webview's picker lists them. */
  summaries(): SessionSummary[] {
    return [...this.records.values()].map((record) => ({
      id: record.session.id,
      name: record.session.name,
      parentId: record.session.parentSession?.id ?? null,
      pid: record.pid,
      state: record.state,
      notice: record.notice ?? record.model.error ?? null,
    }));
  }

  /** Open socket servers (claimed or waiting); read by the VS Code API suite. */
  openServerCount(): number {
    const claimed = [...this.records.values()].filter((r) => r.server && !r.server.isClosed).length;
    return claimed + this.servers.size;
  }

  /** The record for a Python session (or a child of one), created on first sight. */
  ensure(session: vscode.DebugSession): SessionRecord | undefined {
    const known = this.records.get(session.id);
    if (known) return known;
    const parentTracked = session.parentSession && this.records.has(session.parentSession.id);
    if (!PYTHON_DEBUG_TYPES.has(session.type) && !parentTracked) return undefined;
    const record = newRecord(session, (r) => this.stopHost(r));
    this.records.set(session.id, record);
    this.initialNotice(record, Boolean(parentTracked));
    this.claimServer(record);
    if (!this.activeId || this.records.get(this.activeId)?.state === 'ended') {
      this.activeId = session.id;
    }
    this.sessionsChanged.fire();
    return record;
  }

  /**
   * A debug adapter starts for the session. The second time is a restart (VS Code reuses the
   * session for it): a new process, so the graph starts afresh.
   */
  adapterStarted(session: vscode.DebugSession): SessionRecord | undefined {
    const record = this.ensure(session);
    if (!record) return undefined;
    record.adapterStarts += 1;
    if (record.adapterStarts > 1) {
      record.model = newModel(session);
      record.pid = null;
      record.state = 'running';
      record.heardFromRuntime = false;
      record.stops.restarted();
      record.notice = null;
      record.noticeKind = 'hint';
      this.initialNotice(record, Boolean(session.parentSession && this.records.has(session.parentSession.id)));
      this.sessionsChanged.fire();
      this.graphChanged.fire(session.id);
    }
    return record;
  }

  private initialNotice(record: SessionRecord, childOfTracked: boolean): void {
    const config = record.session.configuration;
    if (childOfTracked || isInjected(config)) return;
    if (isInjectable(config)) {
      if (!readSettings(record.session.workspaceFolder?.uri).inject) {
        this.setNotice(record, notices.injectionOffNotice(), 'hint');
      }
    } else if (config.request === 'attach') {
      this.setNotice(record, notices.attachNotice(this.packageDir), 'hint');
    }
  }

  private claimServer(record: SessionRecord): void {
    const token = injectedToken(record.session.configuration);
    const server = token ? this.servers.get(token) : undefined;
    if (!server) return;
    this.servers.delete(server.token);
    record.server = server;
    server.claim((value, pid) => {
      const target = [...this.records.values()].find((r) => pid !== null && r.pid === pid) ?? record;
      this.receive(target, value, pid);
    });
  }

  private started(session: vscode.DebugSession): void {
    const record = this.ensure(session);
    if (record && !session.parentSession) this.sessionStarted.fire(record);
  }

  private terminated(session: vscode.DebugSession): void {
    const record = this.records.get(session.id);
    if (!record) return;
    record.state = 'ended';
    // VS Code also reports a restart as a termination and then reuses the session (and its
    // environment, so the socket token): close the server only if no new adapter follows.
    setTimeout(() => {
      if (record.state === 'ended') record.server?.close();
    }, RESTART_GRACE_MS).unref?.();
    const ended = [...this.records.values()].filter((r) => r.state === 'ended');
    this.forget(ended.slice(0, Math.max(0, ended.length - ENDED_SESSIONS_KEPT)));
    this.sessionsChanged.fire();
  }

  /** Forgets every ended session (the panel's "Clear ended"); a live one becomes the active one. */
  clearEnded(): void {
    const ended = [...this.records.values()].filter((r) => r.state === 'ended');
    if (!ended.length) return;
    this.forget(ended);
    this.activeId ??= this.records.keys().next().value ?? null;
    this.sessionsChanged.fire();
  }

  private forget(records: SessionRecord[]): void {
    for (const old of records) {
      this.records.delete(old.session.id);
      old.server?.close();
      if (this.activeId === old.session.id) this.activeId = null;
    }
  }

  /** A Batch from the runtime (DAP event body or socket line); bad input lands in model.error. */
  receive(record: SessionRecord, body: unknown, pid: number | null): void {
    const unpacked = unpackBatch(body);
    if (!unpacked.ok) {
      this.logRejected(record, unpacked.error);
      return;
    }
    const value = unpacked.value;
    try {
      const outcome = record.model.applyBatch(value as Batch);
      if (!outcome.ok) this.logRejected(record, outcome.error ?? 'rejected');
    } catch (error) {
      // The model reports malformed input through its outcome; a throw is a bug we contain.
      this.logRejected(record, String(error));
    }
    const batchPid = (value as Partial<Batch> | null)?.pid;
    const knownPid = pid ?? (typeof batchPid === 'number' ? batchPid : null);
    let sessionsDirty = false;
    if (record.pid === null && knownPid !== null) {
      record.pid = knownPid;
      sessionsDirty = true;
    }
    if (!record.heardFromRuntime) {
      record.heardFromRuntime = true;
      if (record.noticeKind === 'hint' && record.notice) {
        record.notice = null;
        sessionsDirty = true;
      }
    }
    if (sessionsDirty) this.sessionsChanged.fire();
    this.graphChanged.fire(record.session.id);
  }

  setNotice(record: SessionRecord, notice: string | null, kind: NoticeKind): void {
    if (record.notice === notice && record.noticeKind === kind) return;
    record.notice = notice;
    record.noticeKind = kind;
    this.sessionsChanged.fire();
  }

  setProcessId(session: vscode.DebugSession, pid: number): void {
    const record = this.records.get(session.id);
    if (record && record.pid !== pid) {
      record.pid = pid;
      this.sessionsChanged.fire();
    }
  }

  /** Logs rejected input, the first few per session and then every thousandth. */
  private logRejected(record: SessionRecord, error: string): void {
    record.rejectedBatches += 1;
    const n = record.rejectedBatches;
    if (n <= 10 || n % 1000 === 0) {
      this.log.warn(`${record.session.name}: input #${n} rejected: ${error.slice(0, 500)}`);
    }
  }

  /** The manager's side of a record's stop snapshots: its events, notices and log. */
  private stopHost(record: SessionRecord): StopHost {
    const id = record.session.id;
    return {
      stateChanged: () => this.sessionsChanged.fire(),
      didStop: () => this.sessionStopped.fire(record),
      snapshotApplied: () => {
        if (record.noticeKind === 'hint' && record.notice) this.setNotice(record, null, 'hint');
        record.heardFromRuntime = true;
        this.snapshotApplied.fire(id);
        this.graphChanged.fire(id);
      },
      graphChanged: () => this.graphChanged.fire(id),
      snapshotFailed: (outcome) => {
        this.log.warn(`${record.session.name}: snapshot at stop failed: ${outcome.message.slice(0, 500)}`);
        const notice = outcome.missingRuntime
          ? notices.missingRuntimeNotice(this.packageDir)
          : notices.snapshotFailedNotice(outcome.message);
        if (record.noticeKind !== 'sticky') this.setNotice(record, notice, 'hint');
      },
      rejected: (error) => this.logRejected(record, error),
    };
  }

  dispose(): void {
    for (const record of this.records.values()) record.server?.close();
    for (const server of this.servers.values()) server.close();
    this.servers.clear();
    for (const disposable of this.disposables) disposable.dispose();
  }
}
