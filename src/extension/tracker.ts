/**
 * A read-only DebugAdapterTracker for Python sessions: it watches the DAP traffic for the moments
 * the model cares about — a stop (snapshot time), the program running again, and the debuggee's
 * process id — and forwards them to the session manager.
 */
import * as vscode from 'vscode';
import { TopFrameWatch, type DapRequest, type DapResponse } from './responseTap';
import type { SessionManager } from './sessions';

/** Requests after which the debuggee runs, whether or not the adapter sends `continued`. */
const RESUMING_REQUESTS = new Set([
  'continue', 'next', 'stepIn', 'stepOut', 'stepBack', 'reverseContinue', 'goto', 'restartFrame',
]);

interface DapMessage extends DapRequest, DapResponse {
  type?: string;
  event?: string;
}

export class StopTrackerFactory implements vscode.DebugAdapterTrackerFactory {
  constructor(private readonly sessions: SessionManager) {}

  createDebugAdapterTracker(session: vscode.DebugSession): vscode.DebugAdapterTracker | undefined {
    const record = this.sessions.adapterStarted(session);
    if (!record) return undefined;
    const sessions = this.sessions;
    const top = new TopFrameWatch();
    return {
      onWillReceiveMessage(message: DapMessage) {
        if (message.type === 'request') {
          record.tap.request(message);
          top.request(message);
        }
        if (message.type === 'request' && RESUMING_REQUESTS.has(message.command ?? '')) {
          sessions.resumed(session);
        }
      },
      onDidSendMessage(message: DapMessage) {
        if (message.type === 'response') {
          record.tap.response(message);
          const frameId = top.response(message);
          if (frameId !== null && record.state === 'stopped') sessions.snapshotFrame(record, frameId);
        }
        if (message.type !== 'event') return;
        const body = message.body ?? {};
        switch (message.event) {
          case 'stopped': {
            const threadId = typeof body.threadId === 'number' ? body.threadId : null;
            top.stopped(threadId);
            void sessions.stopped(session, threadId);
            break;
          }
          case 'continued':
            sessions.resumed(session);
            break;
          case 'process':
            if (typeof body.systemProcessId === 'number') {
              sessions.setProcessId(session, body.systemProcessId);
            }
            break;
        }
      },
    };
  }
}
