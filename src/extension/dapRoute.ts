/**
 * The DAP route: everything the extension hears from a Python session's debug adapter, and the
 * only place that rewrites an adapter's messages.
 *
 * A DebugAdapterTracker per session watches the traffic for the moments the model cares about
 * — a stop (snapshot time), the program running again, the debuggee's process id — and feeds
 * the session's stop snapshots the requests and responses they wait for.
 *
 * It also takes the runtime's own `deferredGraph` events as the adapter sends them, and leaves a
 * small placeholder body in the copy VS Code relays: otherwise every batch (hundreds of kB when
 * a program creates many Deferreds) travels to the workbench and back before
 * `onDidReceiveDebugSessionCustomEvent` fires — in code-server through the browser, competing
 * with the stop's snapshot and the panel's messages (bench/RESULTS-e2e.md). The snapshot's
 * evaluate response gets the same treatment once the stop snapshots have taken it. Sessions
 * without a tracker still get their events by the ordinary custom-event route, below.
 *
 * VS Code's debug API comes in as a parameter, so unit tests can drive the route without it.
 */
import type * as vscode from 'vscode';
import { DAP_EVENT_NAME } from '../protocol/protocol';
import type { SessionManager } from './sessions';
import type { DapRequest, DapResponse } from './stopSnapshots';

/** What the relayed copy of a runtime event carries once the tracker has taken its batch. */
export const TAKEN_EVENT_BODY = Object.freeze({ takenByTracker: true });

/** What the relayed copy of a taken snapshot response carries instead of its result. */
export const TAKEN_RESULT = '(taken by Deferred Graph from the debug adapter tracker)';

export function isTakenEventBody(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { takenByTracker?: unknown }).takenByTracker === true;
}

/** Requests after which the debuggee runs, whether or not the adapter sends `continued`. */
const RESUMING_REQUESTS = new Set(['continue', 'next', 'stepIn', 'stepOut', 'stepBack', 'reverseContinue', 'goto', 'restartFrame']);

interface DapMessage extends DapRequest, DapResponse {
  type?: string;
  event?: string;
}

/** The session manager as the route uses it. */
export type RouteSessions = Pick<SessionManager, 'adapterStarted' | 'ensure' | 'receive' | 'setProcessId'>;

/** The parts of VS Code's debug API the route registers with. */
export type RouteDebugApi = Pick<typeof vscode.debug, 'registerDebugAdapterTrackerFactory' | 'onDidReceiveDebugSessionCustomEvent'>;

/** Registers the tracker for every debug type and the custom-event fallback. */
export function registerDapRoute(debug: RouteDebugApi, sessions: RouteSessions): vscode.Disposable[] {
  return [
    debug.registerDebugAdapterTrackerFactory('*', {
      createDebugAdapterTracker: (session) => trackerFor(sessions, session),
    }),
    debug.onDidReceiveDebugSessionCustomEvent((event) => {
      if (event.event !== DAP_EVENT_NAME || isTakenEventBody(event.body)) return;
      const record = sessions.ensure(event.session);
      if (record) sessions.receive(record, event.body, null);
    }),
  ];
}

/** The tracker of one session's adapter, or undefined for sessions the extension ignores. */
export function trackerFor(sessions: RouteSessions, session: vscode.DebugSession): vscode.DebugAdapterTracker | undefined {
  const record = sessions.adapterStarted(session);
  if (!record) return undefined;
  const stops = record.stops;
  return {
    onWillReceiveMessage(message: DapMessage) {
      if (message.type !== 'request') return;
      stops.request(message);
      if (RESUMING_REQUESTS.has(message.command ?? '')) stops.resumed();
    },
    onDidSendMessage(message: DapMessage) {
      if (message.type === 'response' && stops.response(message)) {
        message.body = { ...message.body, result: TAKEN_RESULT };
      }
      if (message.type !== 'event') return;
      const body = message.body ?? {};
      switch (message.event) {
        case DAP_EVENT_NAME:
          sessions.receive(record, body, null);
          message.body = TAKEN_EVENT_BODY;
          break;
        case 'stopped':
          void stops.stopped(typeof body.threadId === 'number' ? body.threadId : null);
          break;
        case 'continued':
          stops.resumed();
          break;
        case 'process':
          if (typeof body.systemProcessId === 'number') sessions.setProcessId(session, body.systemProcessId);
          break;
      }
    },
  };
}
