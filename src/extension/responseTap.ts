/**
 * Early sight of a debug adapter's responses. A DebugAdapterTracker runs in the extension host
 * and sees each message as the adapter sends it; `customRequest` resolves only after VS Code has
 * relayed the response through its main process — in code-server, through the browser and back.
 * For the snapshot at a stop (hundreds of kilobytes with 1,000 Deferreds) that relay is a large
 * part of the wait, so the snapshot takes whichever copy of the response arrives first.
 */

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

interface Waiter {
  match: (request: DapRequest) => boolean;
  resolve: (response: DapResponse) => void;
  /** Whether the relayed copy may lose its `body.result` (see `next`). */
  take: boolean;
}

/** What the workbench's copy of a taken response carries instead of its result. */
export const TAKEN_RESULT = '(taken by Deferred Graph from the debug adapter tracker)';

export class ResponseTap {
  private waiting: Waiter[] = [];
  private readonly bound = new Map<number, Waiter>();

  /**
   * The adapter's response to the next request `match` accepts. `cancel` forgets the wait (call
   * it once the request settled by the ordinary route), so nothing accumulates.
   *
   * With `take`, the copy VS Code relays to the workbench (and back to `customRequest`) gets a
   * short placeholder for `body.result`: VS Code hands trackers the adapter's message before it
   * clones and relays it. For the snapshot at a stop that relay was ~0.4 MB each way through the
   * browser, in the same moments the panel's delta had to get through. The tap resolves first
   * (synchronously, in the tracker), so the caller never needs the relayed copy.
   */
  next(
    match: (request: DapRequest) => boolean,
    take = false,
  ): { response: Promise<DapResponse>; cancel: () => void } {
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

  /** A response from the adapter (tracker `onDidSendMessage`); may trim a taken one in place. */
  response(message: DapResponse): void {
    if (typeof message.request_seq !== 'number') return;
    const waiter = this.bound.get(message.request_seq);
    if (!waiter) return;
    this.bound.delete(message.request_seq);
    waiter.resolve({ ...message });
    if (waiter.take && message.success && typeof message.body?.result === 'string') {
      message.body = { ...message.body, result: TAKEN_RESULT };
    }
  }
}

/**
 * The top frame of the stopped thread, from whichever `stackTrace` response for it the adapter
 * sends first — VS Code's own (the workbench asks at once) or the session manager's. Seen here,
 * that response starts the snapshot before either request's answer has been relayed through
 * the workbench (in code-server, through the browser and back). The session manager's own
 * request still follows; snapshotFrame takes each frame once per stop.
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
