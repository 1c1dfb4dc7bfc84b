// The e2e harness's reading of the DAP log (test/e2e/lib/dap-log.mjs): a stop's top frame is the
// answer to VS Code's request for frame 0 after that stop. The log below is the order a loaded
// machine produced in CI: the lazy fetch of stop 1's remaining frames (from frame 1, whose first
// frame is the caller `main` at line 187) was answered after the program had stopped again.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs harness module without type declarations
import { DapLog } from '../e2e/lib/dap-log.mjs';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function logOf(entries: object[]) {
  const dir = mkdtempSync(join(tmpdir(), 'daplog-'));
  dirs.push(dir);
  const log = new DapLog(join(dir, 'dap.jsonl'));
  for (const [i, e] of entries.entries()) appendFileSync(log.file, `${JSON.stringify({ t: 1000 + i, session: 's1', ...e })}\n`);
  return log;
}

const frame = (line: number, name = 'exp2') => ({ name, line, path: '/w/notebook.py' });

describe('DapLog', () => {
  it('pairs each stop with the answer for frame 0 of its thread, not a late answer from the stop before', () => {
    const log = logOf([
      { kind: 'event', event: 'stopped', body: { reason: 'breakpoint', threadId: 1 } },
      { kind: 'stack', requestSeq: 10, threadId: 1, startFrame: 0, frames: [frame(78)] },
      { kind: 'request', command: 'continue', seq: 12, threadId: 1 },
      { kind: 'response', command: 'continue', requestSeq: 12, success: true },
      { kind: 'event', event: 'stopped', body: { reason: 'breakpoint', threadId: 1 } },
      { kind: 'stack', requestSeq: 11, threadId: 1, startFrame: 1, frames: [frame(187, 'main')] },
      { kind: 'stack', requestSeq: 14, threadId: 2, startFrame: 0, frames: [frame(5, 'worker')] },
      { kind: 'stack', requestSeq: 15, threadId: 1, startFrame: 0, frames: [frame(81)] },
    ]);
    expect(log.stops().map((s: { frame: { line: number } }) => s.frame.line)).toEqual([78, 81]);
  });

  it('a stop whose frame-0 answer has not come yet has no frame (waitForStop keeps waiting)', () => {
    const log = logOf([
      { kind: 'event', event: 'stopped', body: { reason: 'breakpoint', threadId: 1 } },
      { kind: 'stack', requestSeq: 11, threadId: 1, startFrame: 1, frames: [frame(187, 'main')] },
    ]);
    expect(log.stops()[0].frame).toBeNull();
  });

  it('lists step requests with their answers', () => {
    const log = logOf([
      { kind: 'request', command: 'continue', seq: 12, threadId: 1 },
      { kind: 'request', command: 'next', seq: 13, threadId: 1 },
      { kind: 'response', command: 'continue', requestSeq: 12, success: true },
    ]);
    expect(log.steps('continue').map((r: { seq: number; response: { success: boolean } | null }) => [r.seq, r.response?.success])).toEqual([
      [12, true],
    ]);
    expect(log.steps().map((r: { response: object | null }) => r.response !== null)).toEqual([true, false]);
  });
});
