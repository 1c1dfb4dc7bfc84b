/**
 * The DAP route and the stop path's tracker helpers, driven without VS Code. TopFrameWatch
 * starts the snapshot at a stop from the first stackTrace answer for the stopped thread,
 * whoever asked: it must pick exactly that answer and nothing stale. A taken response, and a
 * runtime event, must reach the extension whole and the workbench as a placeholder.
 */
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type * as vscode from 'vscode';
import {
  isTakenEventBody,
  type RouteDebugApi,
  type RouteSessions,
  registerDapRoute,
  TAKEN_EVENT_BODY,
  TAKEN_RESULT,
  trackerFor,
} from '../../src/extension/dapRoute';
import { ResponseTap, SNAPSHOT_EXPRESSION, type StopHost, StopSnapshots, TopFrameWatch } from '../../src/extension/stopSnapshots';
import { PACKED_PREFIX, SNAPSHOT_FUNCTION } from '../../src/protocol/protocol';
import { batch, newModel, pending, snapshot } from './builders';

const trace = (seq: number, threadId: number, startFrame?: number) => ({
  seq,
  command: 'stackTrace',
  arguments: { threadId, ...(startFrame === undefined ? {} : { startFrame }) },
});
const answer = (requestSeq: number, ids: number[], success = true) => ({
  request_seq: requestSeq,
  success,
  body: { stackFrames: ids.map((id) => ({ id })) },
});

describe('TopFrameWatch', () => {
  it('gives the top frame of the first stackTrace answered for the stopped thread', () => {
    const watch = new TopFrameWatch();
    watch.stopped(1);
    watch.request(trace(10, 1));
    watch.request(trace(11, 1, 0));
    expect(watch.response(answer(11, [7, 8]))).toBe(7);
    expect(watch.response(answer(10, [7, 8]))).toBeNull(); // taken once per stop
  });

  it('ignores other threads, later pages, requests before the stop and failed answers', () => {
    const watch = new TopFrameWatch();
    watch.request(trace(1, 1));
    watch.stopped(1);
    expect(watch.response(answer(1, [3]))).toBeNull();
    watch.request(trace(2, 2));
    watch.request(trace(3, 1, 1));
    expect(watch.response(answer(2, [4]))).toBeNull();
    expect(watch.response(answer(3, [5]))).toBeNull();
    watch.request(trace(4, 1));
    expect(watch.response(answer(4, [], false))).toBeNull();
    watch.stopped(1);
    watch.request(trace(5, 1));
    expect(watch.response(answer(5, [9]))).toBe(9);
  });
});

describe('ResponseTap with take', () => {
  it('resolves with the full response and says the relayed copy may lose its result', async () => {
    const tap = new ResponseTap();
    const { response } = tap.next((r) => r.command === 'evaluate', true);
    tap.request({ seq: 3, command: 'evaluate' });
    const relayed = { request_seq: 3, success: true, body: { result: '{"big":1}', variablesReference: 0 } };
    expect(tap.response(relayed)).toBe(true);
    expect((await response).body).toEqual({ result: '{"big":1}', variablesReference: 0 });
  });

  it('without take, or for a failed request, leaves the response to be relayed as it is', async () => {
    const tap = new ResponseTap();
    const plain = tap.next((r) => r.command === 'evaluate');
    const taken = tap.next((r) => r.command === 'evaluate', true);
    tap.request({ seq: 1, command: 'evaluate' });
    tap.request({ seq: 2, command: 'evaluate' });
    expect(tap.response({ request_seq: 1, success: true, body: { result: 'a' } })).toBe(false);
    expect(tap.response({ request_seq: 2, success: false, message: 'NameError', body: { result: 'b' } })).toBe(false);
    expect((await plain.response).body).toEqual({ result: 'a' });
    expect((await taken.response).message).toBe('NameError');
  });
});

/** One session as the route sees it: a real model and stop snapshots, VS Code faked around them. */
function fakeSession() {
  const requests: string[] = [];
  const session = {
    id: 's1',
    name: 'fake',
    // The relayed answers never come: only the tracker's early sight can deliver.
    customRequest: (command: string) => {
      requests.push(command);
      return command === 'stackTrace' ? Promise.resolve({ stackFrames: [{ id: 7 }] }) : new Promise(() => undefined);
    },
  } as unknown as vscode.DebugSession;
  const applied: string[] = [];
  const host: StopHost = {
    stateChanged: () => undefined,
    didStop: () => undefined,
    snapshotApplied: () => applied.push('snapshot'),
    graphChanged: () => undefined,
    snapshotFailed: (outcome) => applied.push(`failed: ${outcome.message}`),
    rejected: (error) => applied.push(`rejected: ${error}`),
  };
  const record = { session, model: newModel(), state: 'running' as const, stops: undefined as unknown as StopSnapshots };
  record.stops = new StopSnapshots(record, host);
  const received: unknown[] = [];
  const sessions = {
    adapterStarted: () => record,
    ensure: () => record,
    receive: (_record: unknown, body: unknown) => received.push(body),
    setProcessId: () => undefined,
  } as unknown as RouteSessions;
  return { session, record, sessions, requests, applied, received };
}

describe('the DAP route', () => {
  it("evaluates the wire contract's snapshot function", () => {
    expect(SNAPSHOT_EXPRESSION).toBe(`__import__('deferred_graph').${SNAPSHOT_FUNCTION}(locals(), globals())`);
  });

  it('takes the snapshot at a stop from the adapter and relays a placeholder result', async () => {
    const { session, record, sessions, requests, applied } = fakeSession();
    const tracker = trackerFor(sessions, session)!;
    tracker.onDidSendMessage!({ type: 'event', event: 'stopped', body: { threadId: 1 } });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(requests).toEqual(['stackTrace', 'evaluate']);
    tracker.onWillReceiveMessage!({
      type: 'request',
      seq: 9,
      command: 'evaluate',
      arguments: { expression: SNAPSHOT_EXPRESSION, frameId: 7 },
    });
    const json = JSON.stringify(batch(snapshot(5, [pending(1)], { frameNames: { '1': 'a' } })));
    const packed = PACKED_PREFIX + deflateSync(Buffer.from(json)).toString('base64');
    const relayed = { type: 'response', request_seq: 9, success: true, body: { result: packed, variablesReference: 0 } };
    tracker.onDidSendMessage!(relayed);
    expect(relayed.body).toEqual({ result: TAKEN_RESULT, variablesReference: 0 });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(applied).toEqual(['snapshot']);
    expect(record.model.get(1)?.name).toBe('a');
    expect(record.stops.lastSnapshot?.frameId).toBe(7);
  });

  it('hands runtime events to the session manager and relays a placeholder body', () => {
    const { session, sessions, received } = fakeSession();
    const tracker = trackerFor(sessions, session)!;
    const body = batch(snapshot(1, []));
    const event = { type: 'event', event: 'deferredGraph', body };
    tracker.onDidSendMessage!(event);
    expect(received).toEqual([body]);
    expect(event.body).toBe(TAKEN_EVENT_BODY);
    expect(isTakenEventBody(event.body)).toBe(true);
  });

  it('takes custom events the tracker did not, and skips the placeholders it left', () => {
    const { session, sessions, received } = fakeSession();
    let listener: (event: vscode.DebugSessionCustomEvent) => void = () => undefined;
    const debug = {
      registerDebugAdapterTrackerFactory: () => ({ dispose: () => undefined }),
      onDidReceiveDebugSessionCustomEvent: (l: typeof listener) => {
        listener = l;
        return { dispose: () => undefined };
      },
    } as unknown as RouteDebugApi;
    registerDapRoute(debug, sessions);
    const body = batch(snapshot(1, []));
    listener({ session, event: 'deferredGraph', body });
    listener({ session, event: 'deferredGraph', body: TAKEN_EVENT_BODY });
    listener({ session, event: 'output', body: {} });
    expect(received).toEqual([body]);
  });
});
