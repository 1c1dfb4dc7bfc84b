/**
 * Builders for the webview DOM tests: DeferredViews as the model sends them, an app mounted on
 * a fresh document with a recording host (the HostApi the webview is given — messages posted
 * and state saved are kept for assertions), and readers that turn rows back into plain data.
 */
import type { DeferredView, GraphHeader, SessionSummary, ToWebviewMessage } from '../../src/protocol/protocol';
import { DeferredGraphApp } from '../../webview/app';
import type { HostApi } from '../../webview/host';
import type { FromWebviewMessage } from '../../src/protocol/protocol';

let clock = 1_700_000_000_000;

/** A pending, unnamed Deferred with no callbacks; `over` sets anything else. */
export function deferred(id: number, over: Partial<DeferredView> = {}): DeferredView {
  return {
    id,
    type: 'Deferred',
    label: null,
    called: false,
    hasResult: false,
    result: null,
    callbacks: [],
    paused: 0,
    waitingOn: null,
    cancelled: false,
    created: { file: '/work/examples/notebook.py', line: 10 + id, function: 'experiment' },
    createdAt: clock++,
    firedAt: null,
    members: null,
    coroutine: null,
    timer: null,
    name: null,
    status: 'pending',
    collected: false,
    collectedAt: null,
    unhandledFailure: null,
    lastSeq: id,
    ...over,
  };
}

export function fired(id: number, repr: string, over: Partial<DeferredView> = {}): DeferredView {
  return deferred(id, {
    called: true,
    hasResult: true,
    result: { kind: 'value', typeName: 'str', repr, truncated: false },
    firedAt: clock++,
    status: 'fired',
    ...over,
  });
}

export function cb(name: string, line = 1, file = '/work/examples/notebook.py') {
  return { callback: { name, file, line }, errback: { name: 'passthru', file: null, line: null }, continues: null };
}

export const SESSION: SessionSummary = { id: 's1', name: 'notebook.py', parentId: null, pid: 4242, state: 'stopped', notice: null };

export function header(over: Partial<GraphHeader> = {}): GraphHeader {
  return { sessionId: 's1', pending: 0, fired: 0, failed: 0, collected: 0, dropped: 0, ephemeral: 0, error: null, lastMarker: null, ...over };
}

export function init(deferreds: DeferredView[], over: Partial<Extract<ToWebviewMessage, { type: 'init' }>> = {}): ToWebviewMessage {
  return { type: 'init', version: 1, sessions: [SESSION], activeSessionId: 's1', header: header(), deferreds, ...over };
}

export class RecordingHost implements HostApi {
  posted: FromWebviewMessage[] = [];
  state: unknown;
  constructor(state?: unknown) {
    this.state = state;
  }
  postMessage(message: FromWebviewMessage): void {
    this.posted.push(message);
  }
  getState(): unknown {
    return this.state;
  }
  setState(state: unknown): void {
    this.state = JSON.parse(JSON.stringify(state));
  }
}

/**
 * Frames are run by the test (`runFrames`), so "coalesced per frame" can be counted; time is
 * the test's too (`clock`: the values `now()` returns in turn, then the last one), so how long
 * a rebuild seems to take never depends on the machine.
 */
export function mount(host = new RecordingHost(), clock: number[] = [0]) {
  document.body.replaceChildren();
  const root = document.createElement('div');
  document.body.append(root);
  const frames: Array<() => void> = [];
  const now = () => (clock.length > 1 ? clock.shift()! : clock[0]);
  const app = new DeferredGraphApp(root, host, { scheduleFrame: (callback) => frames.push(callback), now });
  const runFrames = (): number => {
    const pending = frames.splice(0);
    for (const f of pending) f();
    return pending.length;
  };
  const send = (message: unknown): void => app.handleMessage(message);
  return { app, host, root, frames, runFrames, send };
}

export interface RowData {
  key: string;
  level: number;
  label: string;
  state: string;
  result: string;
  callbacks: string;
  expanded: string | null;
  text: string;
}

/** The rendered rows in display order, as plain data. */
export function rows(root: HTMLElement): RowData[] {
  const els = [...root.querySelectorAll<HTMLElement>('[role="treeitem"]')];
  els.sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index));
  const text = (el: HTMLElement, cls: string) => el.querySelector(`.${cls}`)?.textContent ?? '';
  return els.map((el) => ({
    key: el.dataset.key ?? '',
    level: Number(el.getAttribute('aria-level')),
    label: text(el, 'cell-label'),
    state: text(el, 'cell-state'),
    result: text(el, 'cell-result'),
    callbacks: text(el, 'cell-callbacks'),
    expanded: el.getAttribute('aria-expanded'),
    text: el.textContent ?? '',
  }));
}

/** The Deferred rows only, as `label level result callbacks`: a compact picture of the tree. */
export function outline(root: HTMLElement): string[] {
  return rows(root)
    .filter((r) => r.key.startsWith('d') && !r.key.includes('.') && !r.key.includes('>'))
    .map((r) => `${'  '.repeat(r.level - 1)}${r.label} | ${r.result} | ${r.callbacks}`);
}

export function rowEl(root: HTMLElement, key: string): HTMLElement {
  const el = root.querySelector<HTMLElement>(`[data-key="${key}"]`);
  if (!el) throw new Error(`no row ${key}`);
  return el;
}
