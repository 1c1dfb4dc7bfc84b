/**
 * The stop path's tracker helpers. TopFrameWatch starts the snapshot at a stop from the first
 * stackTrace answer for the stopped thread, whoever asked: it must pick exactly that answer and
 * nothing stale. A taken response must reach the extension whole and the workbench trimmed.
 */
import { describe, expect, it } from 'vitest';
import { ResponseTap, TAKEN_RESULT, TopFrameWatch } from '../../src/extension/responseTap';

const trace = (seq: number, threadId: number, startFrame?: number) => ({
  seq, command: 'stackTrace', arguments: { threadId, ...(startFrame === undefined ? {} : { startFrame }) },
});
const answer = (requestSeq: number, ids: number[], success = true) => ({
  request_seq: requestSeq, success, body: { stackFrames: ids.map((id) => ({ id })) },
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
  it('resolves with the full response and leaves the relayed copy a placeholder result', async () => {
    const tap = new ResponseTap();
    const { response } = tap.next((r) => r.command === 'evaluate', true);
    tap.request({ seq: 3, command: 'evaluate' });
    const relayed = { request_seq: 3, success: true, body: { result: '{"big":1}', variablesReference: 0 } };
    tap.response(relayed);
    expect((await response).body).toEqual({ result: '{"big":1}', variablesReference: 0 });
    expect(relayed.body).toEqual({ result: TAKEN_RESULT, variablesReference: 0 });
  });

  it('without take, or for a failed request, relays the response untouched', async () => {
    const tap = new ResponseTap();
    const plain = tap.next((r) => r.command === 'evaluate');
    const taken = tap.next((r) => r.command === 'evaluate', true);
    tap.request({ seq: 1, command: 'evaluate' });
    tap.request({ seq: 2, command: 'evaluate' });
    const first = { request_seq: 1, success: true, body: { result: 'a' } };
    const second = { request_seq: 2, success: false, message: 'NameError', body: { result: 'b' } };
    tap.response(first);
    tap.response(second);
    expect((await plain.response).body).toEqual({ result: 'a' });
    expect((await taken.response).message).toBe('NameError');
    expect([first.body.result, second.body.result]).toEqual(['a', 'b']);
  });
});
