/**
 * A DebugAdapterTracker for Python sessions: it watches the DAP traffic for the moments the model
 * cares about — a stop (snapshot time), the program running again, and the debuggee's process
 * id — and forwards them to the session manager.
 *
 * It also takes the runtime's own `deferredGraph` events as the adapter sends them, and leaves a
 * small placeholder body in the copy VS Code relays: otherwise every batch (hundreds of kB when
 * a program creates many Deferreds) travels to the workbench and back before
 * `onDidReceiveDebugSessionCustomEvent` fires — in code-server through the browser, competing
 * with the stop's snapshot and the panel's messages (bench/RESULTS-e2e.md). Nobody else listens
 * for our event; sessions without a tracker still get it by the ordinary route.
 */
import * as vscode from 'vscode';
import { DAP_EVENT_NAME } from '../protocol/protocol';
import { TopFrameWatch, type DapRequest, type DapResponse } from './responseTap';
import type { SessionManager } from './sessions';

/** What the relayed copy of a runtime event carries once the tracker has taken its batch. */
export const TAKEN_EVENT_BODY = Object.freeze({ takenByTracker: true });

export function isTakenEventBody(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { takenByTracker?: unknown }).takenByTracker === true;
}

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
          case DAP_EVENT_NAME:
            sessions.receive(record, body, null);
            message.body = TAKEN_EVENT_BODY;
            break;
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
