/**
 * What the model derives from a Deferred's raw state, and every word a row is shown with: its
 * status, its name, the notebook's `status()` pair (result or N/A, number of pending callbacks),
 * its state and its detail lines. The webview, the CLI and the golden tests all take their text
 * from here, so the panel, the terminal and the goldens cannot say different things.
 *
 * The words are plain: a debuggee string goes in whole. Bounding and escaping it for a row or a
 * terminal is the caller's job (the webview's `format.ts`, the CLI's `table.ts`), because each
 * has its own limits and its own dangerous characters.
 */
import type {
  CallableInfo,
  CallbackPair,
  DeferredState,
  DeferredStatus,
  DeferredView,
  FailureResult,
  TimerInfo,
} from '../protocol/protocol';
import { at, type DetailSegment, KIND_WORDS, locationText, rowWhy, rowWhyText, whyLineCount, whyLines } from './viewWhy';

export * from './viewWhy';

/**
 * Status in the order a reader cares about: a Deferred waiting on another is shown as waiting
 * even though Twisted also counts it as paused; one paused by the user is paused; otherwise
 * fired (or failed, when its current result is a Failure) once `callback()` ran.
 */
export function deriveStatus(state: DeferredState): DeferredStatus {
  if (state.waitingOn !== null) return 'waiting';
  if (state.paused > 0) return 'paused';
  if (!state.called) return 'pending';
  return state.result?.kind === 'failure' ? 'failed' : 'fired';
}

/** The retention/header bucket: waiting and paused Deferreds are still in progress. */
export type Bucket = 'pending' | 'fired' | 'failed';

export function bucketOf(status: DeferredStatus): Bucket {
  return status === 'fired' || status === 'failed' ? status : 'pending';
}

/** What the model knows beyond the runtime's state. */
export interface ViewExtras {
  collected: boolean;
  collectedAt: number | null;
  unhandledFailure: FailureResult | null;
  stateAtDeathUnknown: boolean;
  lastSeq: number;
  changedAt: number | null;
}

/**
 * A view of one Deferred. Listed field by field (the type checker keeps the list complete):
 * V8 then builds one fixed-shape object, where spreading the state measured several times slower.
 */
export function buildView(state: DeferredState, name: string | null, extras: ViewExtras): DeferredView {
  return {
    id: state.id,
    type: state.type,
    label: state.label,
    called: state.called,
    hasResult: state.hasResult,
    result: state.result,
    callbacks: state.callbacks,
    paused: state.paused,
    waitingOn: state.waitingOn,
    cancelled: state.cancelled,
    created: state.created,
    createdAt: state.createdAt,
    firedAt: state.firedAt,
    members: state.members,
    coroutine: state.coroutine,
    timer: state.timer,
    blockedBy: state.blockedBy,
    root: state.root,
    firedBy: state.firedBy,
    firedAgainBy: state.firedAgainBy,
    running: state.running,
    name,
    status: deriveStatus(state),
    collected: extras.collected,
    collectedAt: extras.collectedAt,
    unhandledFailure: extras.unhandledFailure,
    stateAtDeathUnknown: extras.stateAtDeathUnknown,
    lastSeq: extras.lastSeq,
    changedAt: extras.changedAt,
  };
}

/** Deep equality of two JSON values (states as parsed from the wire). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => sameJson(item, b[i]));
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  const ob = b as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(ob, k) && sameJson((a as Record<string, unknown>)[k], ob[k]));
}

// ---------------------------------------------------------------------------------------------
// The words of a row. Each function reads fields defensively (`typeof`, `Array.isArray`): a
// view reaches the webview through a message channel, and a malformed one must still be
// described rather than stop the frame.

/** Finds another Deferred of the same session, for "waiting on b" and "continues #3". */
export type ViewLookup = (id: number) => DeferredView | undefined;

/** A debuggee string as text, whatever the message held in its place. */
const str = (value: unknown): string => (typeof value === 'string' ? value : value == null ? '' : String(value));

const STATUSES: ReadonlySet<string> = new Set<DeferredStatus>(['pending', 'fired', 'failed', 'paused', 'waiting']);

/** The status as a known keyword; anything else reads (and is styled) as pending. */
export function knownStatus(view: Pick<DeferredView, 'status'>): DeferredStatus {
  return STATUSES.has(view.status) ? view.status : 'pending';
}

/**
 * How a Deferred is called when nothing names it: `Deferred #3`, with the type when it is a
 * subclass (`Deferred #3 (DeferredList)`), where the type says something the id does not.
 */
export function anonymousName(view: Pick<DeferredState, 'id' | 'type'>): string {
  return view.type && view.type !== 'Deferred' ? `Deferred #${view.id} (${view.type})` : `Deferred #${view.id}`;
}

/** The row's label: a variable of the selected frame, the `label()` name, else {@link anonymousName}. */
export function displayName(view: Pick<DeferredView, 'id' | 'type' | 'name' | 'label'>): string {
  return view.name || view.label || anonymousName(view);
}

/** Text beside the label: the id and type when a name hides them, and the driving coroutine. */
export function metaText(view: DeferredView): string {
  const parts: string[] = [];
  if (view.name || view.label) parts.push(`#${view.id}${view.type && view.type !== 'Deferred' ? ` ${view.type}` : ''}`);
  if (view.coroutine)
    parts.push(`${view.coroutine.kind === 'inlineCallbacks' ? '@inlineCallbacks' : 'async'} ${str(view.coroutine.name)}()`);
  return parts.join('  ');
}

/** How a row names another Deferred ("waiting on b (#4)"): its label, with the id when named. */
export function refName(id: number, lookup: ViewLookup): string {
  const target = lookup(id);
  if (!target) return `#${id}`;
  return target.name || target.label ? `${displayName(target)} (#${id})` : displayName(target);
}

/**
 * The state column: the status, what it waits on or awaits, and the cancelled/collected marks.
 * `withWhy` (the panel's rows): a Deferred still waiting reads its why instead ({@link rowWhyText}),
 * "timer in 1.8 s · deferLater(on_done), tale3_deferlater.py:27", "waiting on b (#4) → timer …".
 */
export function stateText(view: DeferredView, lookup: ViewLookup, withWhy = false): string {
  const status = knownStatus(view);
  const why = withWhy ? rowWhy(view) : null;
  const waiting = view.waitingOn != null ? `waiting on ${refName(view.waitingOn, lookup)}` : null;
  let text: string = status;
  if (why) text = rowWhyText(view, (id) => refName(id, lookup)) ?? text;
  else if (status === 'waiting') text = waiting ?? 'waiting';
  else if (status === 'paused' && waiting) text = `paused — ${waiting}`;
  const c = view.coroutine;
  if (!why && c && !c.finished && c.waitingOn != null && view.waitingOn == null) text += ` — awaiting ${refName(c.waitingOn, lookup)}`;
  if (view.cancelled) text += ' · cancelled';
  if (view.collected) text += ' · collected';
  if (view.collected && view.stateAtDeathUnknown) text += ` · ${STATE_AT_DEATH_UNKNOWN}`;
  return text;
}

/**
 * Said of a collected Deferred that changed after its last report in a way the runtime could
 * not read: the rest of its row is the state before that change.
 */
export const STATE_AT_DEATH_UNKNOWN = 'state at death unknown';

/** A Failure as the last line of its traceback: `ValueError: boom` (just the type without a message). */
export function failureText(failure: Pick<FailureResult, 'excType' | 'message'>): string {
  return failure.message ? `${failure.excType}: ${failure.message}` : failure.excType;
}

/**
 * The first half of the notebook's `status()` pair, `getattr(d, 'result', "N/A")`: the repr, a
 * Failure as {@link failureText}, `→ #7` for a Deferred (the arrow: this one's result *is*
 * that Deferred, nested under it), or N/A without a result attribute.
 */
export function resultText(view: Pick<DeferredState, 'hasResult' | 'result'>): string {
  const r = view.result;
  if (!view.hasResult || !r) return 'N/A';
  switch (r.kind) {
    case 'deferred':
      return `→ #${r.id}`;
    case 'failure':
      return failureText(r);
    default:
      return r.repr;
  }
}

/** The second half of the `status()` pair: `len(d.callbacks)`. */
export function callbacksText(view: Pick<DeferredState, 'callbacks'>): string {
  return String(Array.isArray(view.callbacks) ? view.callbacks.length : 0);
}

/** Twisted's pass-through halves of a pair (`addCallback` pairs a callback with one of them). */
const PASS_THROUGH: ReadonlySet<string> = new Set(['passthru', '_failthru']);

/**
 * One pending pair in a few words, for a one-line summary: the callback's name (`both f` when
 * one function is both halves, `errback g` for an `addErrback`), or `continues #3`.
 */
export function pairSummary(pair: CallbackPair | null, lookup: ViewLookup): string {
  if (!pair || typeof pair !== 'object') return '?';
  if (typeof pair.continues === 'number') return `continues ${refName(pair.continues, lookup)}`;
  const cb = pair.callback ? str(pair.callback.name) : null;
  const eb = pair.errback ? str(pair.errback.name) : null;
  if (cb !== null && cb === eb) return `both ${cb}`;
  if (cb === null || PASS_THROUGH.has(cb.split('.').pop() ?? cb)) return `errback ${eb ?? '—'}`;
  return cb;
}

/** The pending callbacks as one line: `f, errback g, continues #3` (none: `—`). */
export function callbackNamesText(view: Pick<DeferredState, 'callbacks'>, lookup: ViewLookup): string {
  const pairs = Array.isArray(view.callbacks) ? view.callbacks : [];
  return pairs.length ? pairs.map((pair) => pairSummary(pair, lookup)).join(', ') : '—';
}

/** Where the Deferred was created: `fetch() crawler.py:42`. */
export function createdText(view: Pick<DeferredState, 'created'>): string {
  const c = view.created;
  if (!c) return '?';
  return `${str(c.function)}()${c.file ? ` ${locationText(c.file, c.line > 0 ? c.line : null)}` : ''}`;
}

/** Every text of a Deferred row, in the panel's column order. */
export interface RowText {
  label: string;
  meta: string;
  state: string;
  result: string;
  callbacks: string;
}

/** `withWhy`: the state column reads the root of the wait (see {@link stateText}). */
export function rowText(view: DeferredView, lookup: ViewLookup, withWhy = false): RowText {
  return {
    label: displayName(view),
    meta: metaText(view),
    state: stateText(view, lookup, withWhy),
    result: resultText(view),
    callbacks: callbacksText(view),
  };
}

export function callableText(c: CallableInfo | null): string {
  return c ? str(c.name) : '—';
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Wall-clock time with milliseconds; the runtime sends milliseconds since the epoch. */
export function timeText(ms: number): string {
  const t = new Date(ms);
  if (Number.isNaN(t.getTime())) return '?';
  return `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}.${pad(t.getMilliseconds(), 3)}`;
}

export function durationText(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function timerText(timer: TimerInfo): string {
  // callAt is reactor time (a task.Clock's fake seconds in tests), so it is shown as a number.
  const when = `due in ${durationText(timer.delay * 1000)} (reactor time ${timer.callAt.toFixed(3)})`;
  return `timer: ${str(timer.function)} — ${when}${timer.active ? '' : ' (not active)'}`;
}

/** Callback pairs listed in full before the rest is summarised (a chain can hold thousands). */
export const MAX_CALLBACK_LINES = 50;

function callableSegments(role: string, c: CallableInfo | null): DetailSegment[] {
  return [{ text: `${role} `, muted: true }, { text: callableText(c) }, ...at(c?.file, c?.line)];
}

function pairLine(index: number, pair: CallbackPair | null, lookup: ViewLookup): DetailSegment[] {
  const head: DetailSegment = { text: `${index + 1}. `, muted: true };
  if (!pair || typeof pair !== 'object') return [head, { text: '?', muted: true }];
  if (typeof pair.continues === 'number') {
    return [head, { text: 'continues ' }, { text: refName(pair.continues, lookup), target: pair.continues }];
  }
  const same = pair.callback && pair.errback && pair.callback.name === pair.errback.name && pair.callback.file === pair.errback.file;
  if (same) return [head, ...callableSegments('both', pair.callback)];
  return [head, ...callableSegments('callback', pair.callback), { text: '   ' }, ...callableSegments('errback', pair.errback)];
}

/**
 * How many lines {@link detailLines} gives for `view`, without building them: the tree needs
 * every expanded row's line count each frame but only draws the few lines in view.
 * (A test checks the two agree.)
 */
export function detailLineCount(view: DeferredView): number {
  const pairs = Array.isArray(view.callbacks) ? view.callbacks.length : 0;
  let n = Math.max(1, Math.min(pairs, MAX_CALLBACK_LINES)) + (pairs > MAX_CALLBACK_LINES ? 1 : 0);
  if (view.hasResult && view.result) n++;
  if (view.coroutine) n++;
  if (view.members) n++;
  if (view.created) n++;
  n++; // timestamps
  if (view.timer) n++;
  if (view.paused > 0) n++;
  if (view.unhandledFailure) n++;
  return n + whyLineCount(view);
}

/**
 * What an expanded row shows under it: one line per pending callback pair (what
 * `len(d.callbacks)` counts, in order), then result, coroutine, DeferredList, creation site,
 * timestamps, timer, pauses and an unhandled failure.
 */
export function detailLines(view: DeferredView, lookup: ViewLookup): DetailSegment[][] {
  const lines: DetailSegment[][] = [];
  const pairs = Array.isArray(view.callbacks) ? view.callbacks : [];
  if (pairs.length === 0) lines.push([{ text: 'no pending callbacks', muted: true }]);
  for (const [i, pair] of pairs.slice(0, MAX_CALLBACK_LINES).entries()) lines.push(pairLine(i, pair, lookup));
  if (pairs.length > MAX_CALLBACK_LINES) lines.push([{ text: `… ${pairs.length - MAX_CALLBACK_LINES} more callbacks`, muted: true }]);
  const r = view.hasResult ? view.result : null;
  if (r) {
    const seg: DetailSegment =
      r.kind === 'deferred' ? { text: refName(r.id, lookup), target: r.id } : { text: resultText(view), full: resultText(view) };
    const truncated = r.kind !== 'deferred' && r.truncated ? [{ text: ' (truncated by the runtime)', muted: true }] : [];
    lines.push([{ text: 'result ', muted: true }, seg, ...truncated]);
  }
  const c = view.coroutine;
  if (c) {
    const waits: DetailSegment[] = c.finished
      ? [{ text: ' — finished', muted: true }]
      : typeof c.waitingOn === 'number'
        ? [
            { text: ' — awaiting ', muted: true },
            { text: refName(c.waitingOn, lookup), target: c.waitingOn },
          ]
        : [];
    lines.push([
      { text: `${c.kind === 'inlineCallbacks' ? '@inlineCallbacks' : 'coroutine'} `, muted: true },
      { text: `${str(c.name)}()` },
      ...at(c.file, c.line),
      ...waits,
    ]);
  }
  if (view.members) lines.push([{ text: `DeferredList of ${view.members.length} members`, muted: true }]);
  if (view.created)
    lines.push([
      { text: 'created in ', muted: true },
      { text: `${str(view.created.function)}()` },
      ...at(view.created.file, view.created.line),
    ]);
  const fired =
    view.firedAt != null ? `   fired ${timeText(view.firedAt)} (+${durationText(view.firedAt - view.createdAt)})` : '   not fired';
  const gone = view.collected && view.collectedAt != null ? `   collected ${timeText(view.collectedAt)}` : '';
  lines.push([{ text: `created ${timeText(view.createdAt)}${fired}${gone}`, muted: true }]);
  if (view.timer) lines.push([{ text: timerText(view.timer) }]);
  if (view.paused > 0) lines.push([{ text: `paused ×${view.paused}`, muted: true }]);
  if (view.unhandledFailure) {
    const text = failureText(view.unhandledFailure);
    lines.push([
      { text: 'unhandled failure ', muted: true },
      { text, full: text },
    ]);
  }
  lines.push(...whyLines(view, (id) => refName(id, lookup)));
  return lines;
}

// ---------------------------------------------------------------------------------------------
// The words of the graph view and of the tree's collapsed runs (same words in both views).

/**
 * The relations the graph draws, each as an arrow from the Deferred that waits to what it
 * waits for (so the graph reads left to right, waiting → awaited). `firedBy` and `heldBy`
 * point at a non-Deferred root of the wait: a timer, thread job or process that will fire it,
 * or a connection, lock, queue or other holder (the kind's "held by" of viewWhy.ts).
 */
export type EdgeKind = 'waitsOn' | 'resultIs' | 'awaits' | 'memberOf' | 'firedBy' | 'heldBy';

export const EDGE_WORDS: Readonly<Record<EdgeKind, string>> = {
  waitsOn: 'waits on',
  resultIs: 'result is',
  awaits: 'awaits',
  memberOf: 'member',
  firedBy: 'fired by',
  heldBy: KIND_WORDS.unknown,
};

/** A run of Deferreds of one shape shown as one: `×15`. */
export function groupText(count: number): string {
  return `×${count}`;
}

/** What a collapsed group stands for, for its tooltip and accessible name. */
export function groupDescription(count: number, view: DeferredView): string {
  return `${count} Deferreds of the same shape as ${displayName(view)} (created in ${str(view.created?.function)}(), ${knownStatus(view)})`;
}

/** A chain of links (each waits on the next) shown as one row: label `chain of 50`, beside it `root: links[49]`. */
export function chainWords(links: number, root: DeferredView): { label: string; meta: string } {
  return { label: `chain of ${links}`, meta: `root: ${displayName(root)}` };
}

/** The whole chain in one line, for its tooltip: `chain of 50 · root: links[49], pending`. */
export function chainText(links: number, root: DeferredView, lookup: ViewLookup): string {
  const { label, meta } = chainWords(links, root);
  return `${label} · ${meta}, ${stateText(root, lookup)}`;
}

/** A graph node's accessible name: the row's words in one sentence. */
export function nodeDescription(view: DeferredView, lookup: ViewLookup): string {
  const n = callbacksText(view);
  return `${displayName(view)}, ${stateText(view, lookup)}, result ${resultText(view)}, ${n} callback${n === '1' ? '' : 's'}`;
}
