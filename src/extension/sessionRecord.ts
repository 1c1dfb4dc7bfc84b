/**
 * What the extension keeps per debug session: its chain model and the bookkeeping for stops,
 * notices and the socket. Plain data; the SessionManager owns the behaviour.
 */
import type * as vscode from 'vscode';
import { SessionModel } from '../model';
import type { SessionSummary } from '../protocol/protocol';
import { ResponseTap } from './responseTap';
import { readSettings } from './settings';
import type { RuntimeSocketServer } from './socketServer';

export type NoticeKind = 'hint' | 'sticky';

export interface SessionRecord {
  readonly session: vscode.DebugSession;
  /** Replaced when the session restarts: one model shows one process. */
  model: SessionModel;
  /** How many times a debug adapter was started for this session (more than once = restart). */
  adapterStarts: number;
  readonly startedAt: number;
  state: SessionSummary['state'];
  pid: number | null;
  notice: string | null;
  /** A hint disappears once the runtime is heard from; a sticky notice stays. */
  noticeKind: NoticeKind;
  server: RuntimeSocketServer | null;
  /** Incremented at every stop, so a frame is snapshotted once per stop. */
  stopGeneration: number;
  stoppedThreadId: number | null;
  lastSnapshotKey: string | null;
  snapshotRunning: boolean;
  queuedFrameId: number | null;
  heardFromRuntime: boolean;
  rejectedBatches: number;
  stoppedAt: number;
  /** Fed by the session's tracker: adapter responses seen before VS Code relays them. */
  readonly tap: ResponseTap;
  /** Timings of the last snapshot at a stop (for the VS Code API suite and diagnostics). */
  lastSnapshot: SnapshotTiming | null;
}

export interface SnapshotTiming {
  frameId: number;
  /** From the adapter's `stopped` event to the model holding the exact tree. */
  sinceStopMs: number;
  evaluateMs: number;
  applyMs: number;
}

export function newModel(session: vscode.DebugSession): SessionModel {
  const settings = readSettings(session.workspaceFolder?.uri);
  return new SessionModel({
    sessionId: session.id,
    retainFired: settings.retainFired,
    retainCollected: settings.retainCollected,
  });
}

export function newRecord(session: vscode.DebugSession): SessionRecord {
  return {
    session,
    model: newModel(session),
    adapterStarts: 0,
    startedAt: Date.now(),
    state: 'running',
    pid: null,
    notice: null,
    noticeKind: 'hint',
    server: null,
    stopGeneration: 0,
    stoppedThreadId: null,
    lastSnapshotKey: null,
    snapshotRunning: false,
    queuedFrameId: null,
    heardFromRuntime: false,
    rejectedBatches: 0,
    stoppedAt: 0,
    lastSnapshot: null,
    tap: new ResponseTap(),
  };
}
