/**
 * Runs the graph layout off the main thread: in a Worker made from the layout bundle that
 * esbuild inlines as a string (`__DG_LAYOUT_WORKER__`, see esbuild.webview.mjs), started from a
 * Blob URL, since a webview cannot start a worker from its resource URLs. Only the latest
 * request is answered (an older one still running is ignored when it returns). Where no
 * worker can start (happy-dom, a CSP without `worker-src blob:`) the same function runs inline.
 */
import { type LayoutInput, type LayoutResult, tidyLayout } from './graphLayout';

declare const __DG_LAYOUT_WORKER__: string | undefined;

export interface LayoutTiming {
  /** Request posted → positions back on the main thread, ms. */
  roundTripMs: number;
  /** The layout itself, ms (in the worker when `inWorker`). */
  layoutMs: number;
  inWorker: boolean;
  nodes: number;
}

export class LayoutClient {
  private worker: Worker | null = null;
  private generation = 0;
  private pending: { generation: number; started: number; input: LayoutInput; done: (r: LayoutResult) => void } | null = null;
  last: LayoutTiming | null = null;

  constructor() {
    if (typeof __DG_LAYOUT_WORKER__ !== 'string' || typeof Worker !== 'function' || typeof Blob !== 'function') return;
    try {
      const url = URL.createObjectURL(new Blob([__DG_LAYOUT_WORKER__], { type: 'text/javascript' }));
      this.worker = new Worker(url);
      this.worker.onmessage = (event: MessageEvent<LayoutResult & { generation: number; workerMs: number }>) => this.answered(event.data);
      // A worker that cannot run (blocked by a CSP) reports here: lay out inline from then on.
      this.worker.onerror = () => this.fallBack();
    } catch {
      this.worker = null;
    }
  }

  get inWorker(): boolean {
    return this.worker !== null;
  }

  /** Lays out `input`; `done` runs with the positions unless a later request came first. */
  run(input: LayoutInput, done: (result: LayoutResult) => void): void {
    const generation = ++this.generation;
    const started = performance.now();
    if (!this.worker) {
      this.runInline(input, started, done);
      return;
    }
    this.pending = { generation, started, input, done };
    this.worker.postMessage({ generation, parent: input.parent, depth: input.depth });
  }

  private answered(data: LayoutResult & { generation: number; workerMs: number }): void {
    const pending = this.pending;
    if (!pending || data.generation !== pending.generation) return;
    this.pending = null;
    const nodes = pending.input.parent.length;
    this.last = { roundTripMs: performance.now() - pending.started, layoutMs: data.workerMs, inWorker: true, nodes };
    pending.done(data);
  }

  private runInline(input: LayoutInput, started: number, done: (result: LayoutResult) => void): void {
    const result = tidyLayout(input);
    const ms = performance.now() - started;
    this.last = { roundTripMs: ms, layoutMs: ms, inWorker: false, nodes: input.parent.length };
    done(result);
  }

  private fallBack(): void {
    this.worker?.terminate();
    this.worker = null;
    const pending = this.pending;
    this.pending = null;
    if (pending) this.runInline(pending.input, pending.started, pending.done);
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
  }
}
