/**
 * A session's exact snapshots at debugger stops. At every stop, and for every frame the user
 * selects while stopped, one DAP `evaluate` in that frame calls the runtime's SNAPSHOT_FUNCTION
 * (protocol.ts), which returns a Batch with one `snapshot` event whose `frameNames` map
 * Deferred ids to the frame's variable names — packed (packing.ts). Each frame is snapshotted
 * once per stop, and while one snapshot runs only the latest request waits.
 *
 * debugpy truncates evaluate results to ~65 kB in the repl/watch/hover contexts; the `clipboard`
 * context returns the whole value (FIELD-NOTES §3), with `format.rawString` unquoted.
 *
 * Speed (stop → exact tree, bench/RESULTS-e2e.md) comes from seeing the adapter's traffic
 * early: the DAP route's tracker feeds `request`/`response`, so the snapshot starts from the
 * first `stackTrace` answer for the stopped thread (TopFrameWatch) and takes its evaluate
 * response as the adapter sends it (ResponseTap) instead of after VS Code relayed it through
 * the workbench — in code-server, through the browser and back.
 */
import type * as vscode from 'vscode';
import type { SessionModel } from '../model';
import { type SessionSummary, SNAPSHOT_FUNCTION } from '../protocol/protocol';
import { parseSnapshotResult, type SnapshotOutcome } from './packing';

export const SNAPSHOT_EXPRESSION = `__import__('deferred_graph').${SNAPSHOT_FUNCTION}(locals(), globals())`;

/** How long names from the last stop survive once the program runs again. */
const NAMES_KEPT_AFTER_RESUME_MS = 400;

export interface DapRequest {
  seq?: number;
  command?: string;
  arguments?: Record<string, unknown>;
}

export interface DapResponse {
  request_seq?: number;
  success?: boolean;
  message?: string;
  body?: Record<string, unknown>;
}

export interface SnapshotTiming {
  frameId: number;
  /** From the adapter's `stopped` event to the model holding the exact tree. */
  sinceStopMs: number;
  evaluateMs: number;
  applyMs: number;
}

/** The parts of a session's record the stop logic reads and writes. */
export interface StopSubject {
  readonly session: vscode.DebugSession;
  /** Read at each use: a restart gives the session a new model. */
  readonly model: SessionModel;
  state: SessionSummary['state'];
}

/** What the session manager does for the stop logic: its events, notices and log. */
export interface StopHost {
  /** The session went from running to stopped or back. */
  stateChanged(): void;
  /** The adapter reported a stop; its snapshot follows. */
  didStop(): void;
  /** A stop's exact snapshot is in the model. */
  snapshotApplied(): void;
  /** The model changed otherwise (a stop's names cleared once the program runs on). */
  graphChanged(): void;
  /** The snapshot could not be taken and the session is still stopped. */
  snapshotFailed(outcome: Extract<SnapshotOutcome, { ok: false }>): void;
  /** The model rejected a snapshot. */
  rejected(error: string): void;
}

export class StopSnapshots {
  /** Incremented at every stop and restart, so a frame is snapshotted once per stop. */
  private generation = 0;
  private threadId: number | null = null;
  private stoppedAt = 0;
  private lastKey: string | null = null;
  private running = false;
  private queuedFrameId: number | null = null;
  private timing: SnapshotTiming | null = null;
  private readonly tap = new ResponseTap();
  private readonly top = new TopFrameWatch();

  constructor(
    private readonly subject: StopSubject,
    private readonly host: StopHost,
  ) {}

  /** The thread of the current stop, if any. */
  get stoppedThreadId(): number | null {
    return this.threadId;
  }

  /** Timings of the last snapshot at a stop (for the VS Code API suite and diagnostics). */
  get lastSnapshot(): SnapshotTiming | null {
    return this.timing;
  }

  /** A new debug adapter for the session: a new process, whose stops start afresh. */
  restarted(): void {
    this.generation += 1;
    this.timing = null;
    this.top.stopped(null);
  }

  /** A request on its way to the adapter. */
  request(message: DapRequest): void {
    this.tap.request(message);
    this.top.request(message);
  }

  /**
   * A response from the adapter. True when the snapshot took its result: the copy VS Code
   * relays need not carry it (the DAP route leaves a placeholder).
   */
  response(message: DapResponse): boolean {
    const taken = this.tap.response(message);
    const frameId = this.top.response(message);
    if (frameId !== null && this.subject.state === 'stopped') this.snapshotFrame(frameId);
    return taken;
  }

  /** The adapter reported a stop: snapshot the top frame of the stopped thread. */
  async stopped(threadId: number | null): Promise<void> {
    this.top.stopped(threadId);
    this.subject.state = 'stopped';
    this.generation += 1;
    this.threadId = threadId;
    this.stoppedAt = Date.now();
    this.host.stateChanged();
    this.host.didStop();
    // Not debug.activeStackItem: at this moment it may still be the previous stop's frame.
    // VS Code focuses the new top frame shortly; snapshotFrame skips it when it is this one.
    const frameId = threadId !== null ? await topFrameId(this.subject.session, threadId) : null;
    if (frameId !== null && this.subject.state === 'stopped') this.snapshotFrame(frameId);
  }

  /** The program runs again (continue/step requests or a `continued` event). */
  resumed(): void {
    if (this.subject.state !== 'stopped') return;
    this.subject.state = 'running';
    this.host.stateChanged();
    // Names belong to a paused frame; once the program really runs on they may lie. A step
    // stops again within moments, so wait before clearing to avoid a flicker on every step.
    const generation = this.generation;
    setTimeout(() => {
      if (this.subject.state === 'running' && this.generation === generation) {
        this.subject.model.setFrameNames(null);
        this.host.graphChanged();
      }
    }, NAMES_KEPT_AFTER_RESUME_MS).unref?.();
  }

  /** The user selected a frame of this session in the Call Stack. */
  frameSelected(frameId: number): void {
    if (this.subject.state === 'stopped') this.snapshotFrame(frameId);
  }

  /** Snapshots `frameId` once per stop (`force`: again); while one runs, only the latest waits. */
  snapshotFrame(frameId: number, force = false): void {
    const key = `${this.generation}:${frameId}`;
    if (!force && key === this.lastKey) return;
    this.lastKey = key;
    if (this.running) {
      this.queuedFrameId = frameId;
      return;
    }
    void this.run(frameId);
  }

  private async run(firstFrameId: number): Promise<void> {
    this.running = true;
    let frameId: number | null = firstFrameId;
    try {
      while (frameId !== null) {
        this.queuedFrameId = null;
        const started = Date.now();
        const outcome = await this.evaluate(frameId);
        if (outcome.ok) {
          const evaluated = Date.now();
          try {
            const applied = this.subject.model.applySnapshotBatch(outcome.batch);
            if (!applied.ok) this.host.rejected(`snapshot: ${applied.error ?? 'rejected'}`);
          } catch (error) {
            this.host.rejected(`snapshot: ${error}`);
          }
          const applied = Date.now();
          this.timing = {
            frameId,
            sinceStopMs: applied - this.stoppedAt,
            evaluateMs: evaluated - started,
            applyMs: applied - evaluated,
          };
          this.host.snapshotApplied();
        } else if (this.subject.state === 'stopped') {
          this.host.snapshotFailed(outcome);
        }
        frameId = this.queuedFrameId;
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * Evaluates the snapshot expression in `frameId`. Never throws. The tap takes the response
   * as the adapter sends it, so VS Code's relayed copy (to the workbench and back) carries a
   * placeholder instead of the ~0.4 MB result, and whichever copy comes first is used.
   */
  private async evaluate(frameId: number): Promise<SnapshotOutcome> {
    const args = { expression: SNAPSHOT_EXPRESSION, frameId, context: 'clipboard', format: { rawString: true } };
    const early = this.tap.next(
      (request) =>
        request.command === 'evaluate' && request.arguments?.expression === SNAPSHOT_EXPRESSION && request.arguments?.frameId === frameId,
      true,
    );
    const relayed: Promise<DapResponse> = Promise.resolve(this.subject.session.customRequest('evaluate', args)).then(
      (body) => ({ success: true, body }),
      (error) => ({ success: false, message: error instanceof Error ? error.message : String(error) }),
    );
    const response = await Promise.race([relayed, early.response]);
    early.cancel();
    if (!response.success) {
      const message = response.message ?? 'evaluate failed';
      return { ok: false, missingRuntime: /deferred_graph|ModuleNotFoundError/.test(message), message };
    }
    const result = response.body?.result;
    return parseSnapshotResult(typeof result === 'string' ? result : '');
  }
}

/** The top frame of a stopped thread, as the adapter reports it. */
export async function topFrameId(session: vscode.DebugSession, threadId: number): Promise<number | null> {
  try {
    const trace = await session.customRequest('stackTrace', { threadId, startFrame: 0, levels: 1 });
    const frame = trace?.stackFrames?.[0];
    return typeof frame?.id === 'number' ? frame.id : null;
  } catch {
    return null;
  }
}

interface Waiter {
  match: (request: DapRequest) => boolean;
  resolve: (response: DapResponse) => void;
  /** Whether the relayed copy may lose its `body.result` (see `next`). */
  take: boolean;
}

/**
 * Early sight of a debug adapter's responses. A DebugAdapterTracker runs in the extension host
 * and sees each message as the adapter sends it; `customRequest` resolves only after VS Code
 * has relayed the response through its main process. For the snapshot at a stop (hundreds of
 * kilobytes with 1,000 Deferreds) that relay is a large part of the wait.
 */
export class ResponseTap {
  private waiting: Waiter[] = [];
  private readonly bound = new Map<number, Waiter>();

  /**
   * The adapter's response to the next request `match` accepts. `cancel` forgets the wait (call
   * it once the request settled by the ordinary route), so nothing accumulates.
   *
   * With `take`, `response` says the relayed copy may lose `body.result`: VS Code hands
   * trackers the adapter's message before it clones and relays it, and for the snapshot at a
   * stop that relay was ~0.4 MB each way through the browser, in the same moments the panel's
   * delta had to get through. The tap resolves first (synchronously, in the tracker), so the
   * caller never needs the relayed copy.
   */
  next(match: (request: DapRequest) => boolean, take = false): { response: Promise<DapResponse>; cancel: () => void } {
    let waiter!: Waiter;
    const response = new Promise<DapResponse>((resolve) => {
      waiter = { match, resolve, take };
    });
    this.waiting.push(waiter);
    const cancel = () => {
      this.waiting = this.waiting.filter((w) => w !== waiter);
      for (const [seq, w] of this.bound) if (w === waiter) this.bound.delete(seq);
    };
    return { response, cancel };
  }

  /** A request on its way to the adapter (tracker `onWillReceiveMessage`). */
  request(message: DapRequest): void {
    if (this.waiting.length === 0 || typeof message.seq !== 'number') return;
    const index = this.waiting.findIndex((w) => w.match(message));
    if (index < 0) return;
    this.bound.set(message.seq, this.waiting[index]);
    this.waiting.splice(index, 1);
  }

  /** A response from the adapter (tracker `onDidSendMessage`); true when its result was taken. */
  response(message: DapResponse): boolean {
    if (typeof message.request_seq !== 'number') return false;
    const waiter = this.bound.get(message.request_seq);
    if (!waiter) return false;
    this.bound.delete(message.request_seq);
    waiter.resolve({ ...message });
    return waiter.take && Boolean(message.success) && typeof message.body?.result === 'string';
  }
}

/**
 * The top frame of the stopped thread, from whichever `stackTrace` response for it the adapter
 * sends first — VS Code's own (the workbench asks at once) or StopSnapshots' own request, which
 * still follows; snapshotFrame takes each frame once per stop.
 */
export class TopFrameWatch {
  private threadId: number | null = null;
  private readonly asked = new Set<number>();

  stopped(threadId: number | null): void {
    this.threadId = threadId;
    this.asked.clear();
  }

  request(message: DapRequest): void {
    if (this.threadId === null || message.command !== 'stackTrace' || typeof message.seq !== 'number') return;
    const args = message.arguments ?? {};
    if (args.threadId === this.threadId && (args.startFrame ?? 0) === 0) this.asked.add(message.seq);
  }

  /** The top frame's id when `message` answers a watched request, else null (and forgets it). */
  response(message: DapResponse): number | null {
    if (typeof message.request_seq !== 'number' || !this.asked.has(message.request_seq)) return null;
    this.threadId = null;
    this.asked.clear();
    const frames: unknown = message.success ? message.body?.stackFrames : undefined;
    const id = Array.isArray(frames) ? (frames[0] as { id?: unknown } | undefined)?.id : undefined;
    return typeof id === 'number' ? id : null;
  }
}
