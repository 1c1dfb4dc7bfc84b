/**
 * What the extension keeps per debug session: its chain model, its stop snapshots, and the
 * bookkeeping for notices and the socket. Plain data apart from `stops`; the SessionManager
 * owns the rest of the behaviour.
 */
import type * as vscode from 'vscode';
import { SessionModel } from '../model';
import type { SessionSummary } from '../protocol/protocol';
import { readSettings } from './settings';
import type { RuntimeSocketServer } from './socketServer';
import { type StopHost, StopSnapshots } from './stopSnapshots';

export type NoticeKind = 'hint' | 'sticky';

export interface SessionRecord {
  readonly session: vscode.DebugSession;
  /** Replaced when the session restarts: one model shows one process. */
  model: SessionModel;
  /** How many times a debug adapter was started for this session (more than once = restart). */
  adapterStarts: number;
  state: SessionSummary['state'];
  pid: number | null;
  notice: string | null;
  /** A hint disappears once the runtime is heard from; a sticky notice stays. */
  noticeKind: NoticeKind;
  server: RuntimeSocketServer | null;
  heardFromRuntime: boolean;
  rejectedBatches: number;
  /** The exact snapshots at this session's stops, with their state. */
  readonly stops: StopSnapshots;
}

export function newModel(session: vscode.DebugSession): SessionModel {
  const settings = readSettings(session.workspaceFolder?.uri);
  return new SessionModel({
    sessionId: session.id,
    retainFired: settings.retainFired,
    retainCollected: settings.retainCollected,
  });
}

/** A record for `session`; `hostFor` gives its stop snapshots the manager's side. */
export function newRecord(session: vscode.DebugSession, hostFor: (record: SessionRecord) => StopHost): SessionRecord {
  const record: Omit<SessionRecord, 'stops'> & { stops?: StopSnapshots } = {
    session,
    model: newModel(session),
    adapterStarts: 0,
    state: 'running',
    pid: null,
    notice: null,
    noticeKind: 'hint',
    server: null,
    heardFromRuntime: false,
    rejectedBatches: 0,
  };
  record.stops = new StopSnapshots(record, hostFor(record as SessionRecord));
  return record as SessionRecord;
}
