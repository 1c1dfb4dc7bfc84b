/**
 * What an expanded Deferred row shows under it: one line per pending callback pair (what
 * `len(d.callbacks)` counts, in order), then coroutine, creation site, timestamps, timer and an
 * unhandled failure. Each line is a list of segments; a segment with a location opens the file,
 * one with a target jumps to that Deferred's row.
 */
import type { CallbackPair, CallableInfo, DeferredView } from '../src/protocol/protocol';
import {
  callableText,
  durationText,
  failureText,
  locationText,
  refName,
  resultText,
  safeText,
  timeText,
  timerText,
} from './format';

export interface Segment {
  text: string;
  /** A source location: clicking posts `openLocation`. */
  location?: { file: string; line: number };
  /** A Deferred id: clicking reveals its row. */
  target?: number;
  /** Full text for the tooltip (bounded). */
  title?: string;
  muted?: boolean;
}

/** Callback pairs listed in full before the rest is summarised (a chain can hold thousands). */
export const MAX_CALLBACK_LINES = 50;

function at(file: unknown, line: unknown): Segment[] {
  if (typeof file !== 'string' || !file) return [];
  const lineNo = typeof line === 'number' && Number.isInteger(line) && line > 0 ? line : null;
  const seg: Segment = { text: locationText(file, lineNo), title: safeText(file, 2000) };
  if (lineNo !== null) seg.location = { file, line: lineNo };
  return [{ text: ' ', muted: true }, seg];
}

function callableSegments(role: string, c: CallableInfo | null): Segment[] {
  return [{ text: `${role} `, muted: true }, { text: callableText(c) }, ...at(c?.file, c?.line)];
}

function pairLine(index: number, pair: CallbackPair | null, lookup: (id: number) => DeferredView | undefined): Segment[] {
  const head: Segment = { text: `${index + 1}. `, muted: true };
  if (!pair || typeof pair !== 'object') return [head, { text: '?', muted: true }];
  if (typeof pair.continues === 'number') {
    return [head, { text: 'continues ' }, { text: refName(pair.continues, lookup), target: pair.continues }];
  }
  const same = pair.callback && pair.errback && pair.callback.name === pair.errback.name && pair.callback.file === pair.errback.file;
  if (same) return [head, ...callableSegments('both', pair.callback)];
  return [head, ...callableSegments('callback', pair.callback), { text: '   ' }, ...callableSegments('errback', pair.errback)];
}

/**
 * How many lines {@link detailRows} gives for `d`, without building them: the tree needs every
 * expanded row's line count each frame but only draws the few lines in view.
 * (A test checks the two agree.)
 */
export function detailLineCount(d: DeferredView): number {
  const pairs = Array.isArray(d.callbacks) ? d.callbacks.length : 0;
  let n = Math.max(1, Math.min(pairs, MAX_CALLBACK_LINES)) + (pairs > MAX_CALLBACK_LINES ? 1 : 0);
  if (d.hasResult && d.result) n++;
  if (d.coroutine) n++;
  if (d.members) n++;
  if (d.created) n++;
  n++; // timestamps
  if (d.timer) n++;
  if (d.paused > 0) n++;
  if (d.unhandledFailure) n++;
  return n;
}

/** The detail lines of `d`, each a list of segments. */
export function detailRows(d: DeferredView, lookup: (id: number) => DeferredView | undefined): Segment[][] {
  const lines: Segment[][] = [];
  const pairs = Array.isArray(d.callbacks) ? d.callbacks : [];
  if (pairs.length === 0) lines.push([{ text: 'no pending callbacks', muted: true }]);
  pairs.slice(0, MAX_CALLBACK_LINES).forEach((pair, i) => lines.push(pairLine(i, pair, lookup)));
  if (pairs.length > MAX_CALLBACK_LINES) {
    lines.push([{ text: `… ${pairs.length - MAX_CALLBACK_LINES} more callbacks`, muted: true }]);
  }
  if (d.hasResult && d.result) {
    const full = d.result.kind === 'deferred' ? null : resultText(d, 2000);
    const seg: Segment = d.result.kind === 'deferred'
      ? { text: refName(d.result.id, lookup), target: d.result.id }
      : { text: resultText(d), title: full ?? undefined };
    const truncated = d.result.kind !== 'deferred' && d.result.truncated ? [{ text: ' (truncated by the runtime)', muted: true }] : [];
    lines.push([{ text: 'result ', muted: true }, seg, ...truncated]);
  }
  if (d.coroutine) {
    const c = d.coroutine;
    const kind = c.kind === 'inlineCallbacks' ? '@inlineCallbacks' : 'coroutine';
    const waits: Segment[] = c.finished
      ? [{ text: ' — finished', muted: true }]
      : typeof c.waitingOn === 'number'
        ? [{ text: ' — awaiting ', muted: true }, { text: refName(c.waitingOn, lookup), target: c.waitingOn }]
        : [];
    lines.push([{ text: `${kind} `, muted: true }, { text: `${safeText(c.name, 160)}()` }, ...at(c.file, c.line), ...waits]);
  }
  if (d.members) lines.push([{ text: `DeferredList of ${d.members.length} members`, muted: true }]);
  if (d.created) {
    lines.push([{ text: 'created in ', muted: true }, { text: `${safeText(d.created.function, 160)}()` }, ...at(d.created.file, d.created.line)]);
  }
  const fired = d.firedAt != null ? `   fired ${timeText(d.firedAt)} (+${durationText(d.firedAt - d.createdAt)})` : '   not fired';
  const gone = d.collected && d.collectedAt != null ? `   collected ${timeText(d.collectedAt)}` : '';
  lines.push([{ text: `created ${timeText(d.createdAt)}${fired}${gone}`, muted: true }]);
  if (d.timer) lines.push([{ text: timerText(d.timer) }]);
  if (d.paused > 0) lines.push([{ text: `paused ×${d.paused}`, muted: true }]);
  if (d.unhandledFailure) {
    lines.push([{ text: 'unhandled failure ', muted: true }, { text: failureText(d.unhandledFailure), title: failureText(d.unhandledFailure, 2000) }]);
  }
  return lines;
}
