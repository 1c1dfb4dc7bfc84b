/**
 * The tests' one set of builders. States and events are what the runtime sends (compare a
 * recording in test/golden: builtin exception types unqualified, `_failthru` as the errback
 * `addCallback` pairs with), so a test reads like the story it checks ("b fired with 4, then a
 * was collected"). A view is never typed in: it is made from a state by the model's own
 * `buildView`, so its status and every other derived field are what the model would derive.
 * For the webview: an app mounted on a fresh document with a recording host (the HostApi the
 * webview is given — messages posted and state saved are kept for assertions), and readers
 * that turn rows back into plain data.
 */

import { type ModelOptions, SessionModel } from '../../src/model';
import { buildView, type ViewExtras } from '../../src/model/view';
import type {
  Batch,
  CallbackPair,
  DeferredState,
  DeferredView,
  FromWebviewMessage,
  GraphHeader,
  RuntimeEvent,
  SessionSummary,
  ToWebviewMessage,
} from '../../src/protocol/protocol';
import { DeferredGraphApp } from '../../webview/app';
import type { HostApi } from '../../webview/host';

export const PID = 4242;
export const NOTEBOOK = '/work/examples/notebook.py';
/** Where Twisted's `_failthru` lives: the errback `addCallback(f)` pairs `f` with. */
const TWISTED_DEFER = '/usr/lib/python3/dist-packages/twisted/internet/defer.py';
/** Milliseconds since the epoch, as the runtime stamps createdAt and firedAt. */
const EPOCH_MS = 1_700_000_000_000;

export function newModel(options: Partial<ModelOptions> = {}): SessionModel {
  return new SessionModel({ sessionId: 's1', retainFired: Infinity, retainCollected: Infinity, ...options });
}

/** `addCallback(name)` from line `line` of `file`. */
export function callbackPair(name: string, line = 10, file = NOTEBOOK): CallbackPair {
  return { callback: { name, file, line }, errback: { name: '_failthru', file: TWISTED_DEFER, line: 249 }, continues: null };
}

/** Twisted's `_CONTINUE` entry: the Deferred `waiting` resumes when this one fires. */
export function continues(waiting: number): CallbackPair {
  return { callback: null, errback: null, continues: waiting };
}

/** A Deferred nobody fired yet, created on line 10 + id of the notebook. */
export function pending(id: number, extra: Partial<DeferredState> = {}): DeferredState {
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
    created: { file: NOTEBOOK, line: 10 + id, function: 'experiment' },
    createdAt: EPOCH_MS + id,
    firedAt: null,
    members: null,
    coroutine: null,
    timer: null,
    blockedBy: null,
    root: null,
    firedBy: null,
    firedAgainBy: null,
    running: false,
    ...extra,
  } as DeferredState;
}

export function withCallbacks(state: DeferredState, ...names: string[]): DeferredState {
  return { ...state, callbacks: names.map((name) => callbackPair(name)) };
}

/** The Python type a repr comes from, as the runtime's `typeName` gives it. */
function typeNameOf(repr: string): string {
  if (/^-?\d+$/.test(repr)) return 'int';
  if (/^['"]/.test(repr)) return 'str';
  if (repr === 'None') return 'NoneType';
  if (repr === 'True' || repr === 'False') return 'bool';
  return repr.startsWith('[') ? 'list' : 'object';
}

export function fired(id: number, repr: string, extra: Partial<DeferredState> = {}): DeferredState {
  return pending(id, {
    called: true,
    hasResult: true,
    result: { kind: 'value', typeName: typeNameOf(repr), repr, truncated: false },
    firedAt: EPOCH_MS + 1000 + id,
    ...extra,
  });
}

/** `excType` as the runtime writes it: `ValueError` for a builtin, else `module.Qualname`. */
export function failed(id: number, excType: string, message: string, extra: Partial<DeferredState> = {}): DeferredState {
  return pending(id, {
    called: true,
    hasResult: true,
    result: { kind: 'failure', excType, message, truncated: false, frames: [], raisedBy: null },
    firedAt: EPOCH_MS + 1000 + id,
    ...extra,
  });
}

/** `id` fired, but its callback returned `on`, which has not fired: it waits on it. */
export function waitingOn(id: number, on: number, extra: Partial<DeferredState> = {}): DeferredState {
  return pending(id, {
    called: true,
    hasResult: true,
    result: { kind: 'deferred', id: on },
    paused: 1,
    waitingOn: on,
    firedAt: EPOCH_MS + 1000 + id,
    ...extra,
  });
}

export const created = (seq: number, deferred: DeferredState): RuntimeEvent => ({ kind: 'created', seq, t: seq, deferred });
export const changed = (seq: number, deferred: DeferredState): RuntimeEvent => ({ kind: 'changed', seq, t: seq, deferred });
export const collected = (
  seq: number,
  id: number,
  unhandled: string | null = null,
  firedAt: number | null = null,
  final: DeferredState | null = null,
  finalUnknown = false,
): RuntimeEvent => ({
  kind: 'collected',
  seq,
  t: seq,
  id,
  unhandledFailure:
    unhandled === null
      ? null
      : { kind: 'failure', excType: 'ValueError', message: unhandled, truncated: false, frames: [], raisedBy: null },
  firedAt,
  final,
  finalUnknown,
});
export const counts = (seq: number, ephemeral: number): RuntimeEvent => ({ kind: 'counts', seq, t: seq, ephemeral });
export const marker = (seq: number, name: string): RuntimeEvent => ({ kind: 'marker', seq, t: seq, name });
export const dropped = (seq: number, count: number, total: number): RuntimeEvent => ({ kind: 'dropped', seq, t: seq, count, total });
export function snapshot(
  seq: number,
  deferreds: DeferredState[],
  more: { ephemeral?: number; frameNames?: Record<string, string> | null } = {},
): RuntimeEvent {
  return {
    kind: 'snapshot',
    seq,
    t: seq,
    reason: 'request',
    deferreds,
    ephemeral: more.ephemeral ?? 0,
    frameNames: more.frameNames ?? null,
  };
}

let batchCounter = 0;
export function batch(...events: RuntimeEvent[]): Batch {
  return { protocolVersion: '1.0', pid: PID, batch: ++batchCounter, events };
}

/** The fields of a view that a reader sees, for compact assertions. */
export function summary(model: SessionModel, id: number): string {
  const v = model.get(id);
  if (!v) return 'absent';
  const result =
    v.result === null
      ? 'N/A'
      : v.result.kind === 'value'
        ? v.result.repr
        : v.result.kind === 'deferred'
          ? `#${v.result.id}`
          : v.result.excType;
  return `${v.status} ${result} cbs=${v.callbacks.length}${v.collected ? ' collected' : ''}`;
}

/** What a test may set on a view: state fields, the frame name and the model's extras — never a derived field. */
export type ViewFields = Partial<DeferredState> & Partial<ViewExtras> & { name?: string | null };

const EXTRA_KEYS = new Set(['name', 'collected', 'collectedAt', 'unhandledFailure', 'stateAtDeathUnknown', 'lastSeq', 'changedAt']);

/** The view the model makes of `state` (changed by `fields`), as the host sends it to the webview. */
export function view(state: DeferredState, fields: ViewFields = {}): DeferredView {
  const stateFields: Record<string, unknown> = {};
  const extraFields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) (EXTRA_KEYS.has(key) ? extraFields : stateFields)[key] = value;
  const extras: ViewExtras = {
    collected: false,
    collectedAt: null,
    unhandledFailure: null,
    stateAtDeathUnknown: false,
    lastSeq: state.id,
    changedAt: null,
    ...(extraFields as Partial<ViewExtras>),
  };
  return buildView(
    { ...state, ...(stateFields as Partial<DeferredState>) },
    (extraFields.name as string | null | undefined) ?? null,
    extras,
  );
}

export const pendingView = (id: number, fields: ViewFields = {}): DeferredView => view(pending(id), fields);
export const firedView = (id: number, repr: string, fields: ViewFields = {}): DeferredView => view(fired(id, repr), fields);

/** The notebook's Experiment 3.a paused after a fired: a (#1) waits on b (#2), its result is b. */
export function experiment3a(): DeferredView[] {
  return [
    pendingView(1, {
      name: 'a',
      called: true,
      hasResult: true,
      result: { kind: 'deferred', id: 2 },
      waitingOn: 2,
      callbacks: [callbackPair('on_done', 90)],
    }),
    pendingView(2, { name: 'b', callbacks: [continues(1)] }),
  ];
}

export const SESSION: SessionSummary = { id: 's1', name: 'notebook.py', parentId: null, pid: PID, state: 'stopped', notice: null };

export function header(over: Partial<GraphHeader> = {}): GraphHeader {
  return {
    sessionId: 's1',
    pending: 0,
    fired: 0,
    failed: 0,
    unhandled: 0,
    orphans: 0,
    collected: 0,
    dropped: 0,
    ephemeral: 0,
    error: null,
    lastMarker: null,
    clock: null,
    ...over,
  };
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
