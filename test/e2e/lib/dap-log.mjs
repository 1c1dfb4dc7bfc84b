/**
 * Reads the JSON Lines log the helper extension's DAP tracker writes: every `stopped` event with
 * the stack top that VS Code then fetched, program output, and session ends. Tests wait on these
 * real debugger facts instead of on pixels.
 */
import fs from 'node:fs';

export class DapLog {
  constructor(file) {
    this.file = file;
    fs.writeFileSync(file, '');
  }

  entries() {
    const text = fs.readFileSync(this.file, 'utf8');
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  }

  /**
   * Stops so far, each with its top frame: the first answer, after the `stopped` event, to a
   * stackTrace request for frame 0 of the stopped thread. Not simply the next stack answer: VS
   * Code fetches the rest of a stack lazily (from frame 1), and that answer can arrive after the
   * program has been continued and stopped again, which would put a stop at its caller's line.
   */
  stops() {
    const stops = [];
    for (const e of this.entries()) {
      if (e.kind === 'event' && e.event === 'stopped') {
        stops.push({ t: e.t, session: e.session, threadId: e.body?.threadId, reason: e.body?.reason, frame: null });
        continue;
      }
      const last = stops.at(-1);
      if (e.kind !== 'stack' || !last || last.frame || e.session !== last.session || e.startFrame) continue;
      if (last.threadId !== undefined && e.threadId !== undefined && e.threadId !== last.threadId) continue;
      Object.assign(last, { frame: e.frames[0] ?? null, frameT: e.t });
    }
    return stops;
  }

  /** The step requests (`continue`, `next`, …) VS Code sent, each with whether it was answered. */
  steps(command) {
    const answered = new Map();
    for (const e of this.entries()) if (e.kind === 'response') answered.set(`${e.session}/${e.requestSeq}`, e);
    return this.entries()
      .filter((e) => e.kind === 'request' && (!command || e.command === command))
      .map((e) => ({ ...e, response: answered.get(`${e.session}/${e.seq}`) ?? null }));
  }

  /** Everything the debuggee printed (stdout/stderr output events), in order. */
  output(category) {
    return this.entries()
      .filter((e) => e.kind === 'event' && e.event === 'output' && (!category || e.body?.category === category))
      .map((e) => e.body.output)
      .join('');
  }

  /** The breakpoint lines VS Code sent for a file in its last setBreakpoints request. */
  breakpointLines(file) {
    const sent = this.entries().filter((e) => e.kind === 'breakpoints' && e.path === file);
    return sent.length ? [...sent.at(-1).lines].sort((a, b) => a - b) : [];
  }

  /** Whether a session ended (at or after `since`, a Date.now() time). */
  ended(since = 0) {
    return this.entries().some((e) => e.kind === 'event' && (e.event === 'terminated' || e.event === 'exited') && e.t >= since);
  }

  exitCode() {
    return this.entries().find((e) => e.kind === 'event' && e.event === 'exited')?.body?.exitCode;
  }

  /** Waits for the n-th stop (1-based) and its stack top; fails early if a session ends after `since`. */
  async waitForStop(n, timeoutMs = 30000, since = 0) {
    return poll(
      () => {
        const s = this.stops();
        if (s.length >= n && s[n - 1].frame) return s[n - 1];
        if (this.ended(since))
          throw new Error(`debug session ended after ${s.length} stop(s), expected stop ${n}\n${this.output().slice(-2000)}`);
        return null;
      },
      timeoutMs,
      `stop #${n}`,
    );
  }

  async waitForEnd(timeoutMs = 60000) {
    return poll(() => (this.ended() ? true : null), timeoutMs, 'debug session end');
  }
}

/** Calls `fn` every 100 ms until it returns non-null; rejects with `what` after the timeout. */
export async function poll(fn, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last !== null && last !== undefined && last !== false) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
