/**
 * TopFrameWatch starts the snapshot at a stop from the first stackTrace answer for the stopped
 * thread, whoever asked; these check it picks exactly that answer and nothing stale.
 */
import { describe, expect, it } from 'vitest';
import { TopFrameWatch } from '../../src/extension/responseTap';

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
