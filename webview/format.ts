/**
 * Text for the tree: every string here may come from the debugged program, so it is made safe to
 * show (control and bidi characters escaped, length bounded) before it reaches `textContent`.
 * Nothing in this module touches the DOM, so it is cheap to test and to call for every row.
 */
import type { CallableInfo, DeferredStatus, DeferredView, FailureResult, TimerInfo } from '../src/protocol/protocol';

/** Most characters of a debuggee string put into a row; the rest is cut with an ellipsis. */
export const ROW_TEXT_LIMIT = 200;
/** Most characters of a tooltip (the "full" text is bounded too: a 1 MB repr stays out of the DOM). */
export const TOOLTIP_LIMIT = 2000;

// C0/C1 controls, DEL, and the bidi/zero-width characters that can make text read as something else.
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;
const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(ch: string): string {
  const named = NAMED_ESCAPES[ch];
  if (named) return named;
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Bounds `value` to `limit` characters (cutting before escaping, so a megabyte never gets
 * scanned) and escapes characters that would break the row or disguise the text.
 */
export function safeText(value: unknown, limit: number = ROW_TEXT_LIMIT): string {
  const text = typeof value === 'string' ? value : value == null ? '' : String(value);
  // Never split a surrogate pair (an emoji) at the cut: half of one renders as garbage.
  const end = limit > 0 && text.length > limit && /[\ud800-\udbff]/.test(text[limit - 1]) ? limit - 1 : limit;
  const cut = text.length > limit ? text.slice(0, end) : text;
  const escaped = cut.replace(UNSAFE_CHARS, escapeChar);
  return text.length > limit ? `${escaped}…` : escaped;
}

/** The tooltip twin of {@link safeText}: longer, still bounded. */
export function tooltipText(value: unknown): string {
  return safeText(value, TOOLTIP_LIMIT);
}

/**
 * The row's primary text: the variable name, the `label()` name, else `Deferred #id` with the
 * type when it is a subclass (as the model and CLI name it).
 */
export function labelOf(d: DeferredView): string {
  if (d.name) return safeText(d.name);
  if (d.label) return safeText(d.label);
  return d.type && d.type !== 'Deferred' ? `Deferred #${d.id} (${safeText(d.type, 80)})` : `Deferred #${d.id}`;
}

/** Secondary text beside the label: the id and type when a name hides them, and the coroutine. */
export function metaOf(d: DeferredView): string {
  const parts: string[] = [];
  if (d.name || d.label) parts.push(`#${d.id}${d.type && d.type !== 'Deferred' ? ` ${safeText(d.type, 80)}` : ''}`);
  if (d.coroutine) parts.push(`${d.coroutine.kind === 'inlineCallbacks' ? '@inlineCallbacks' : 'async'} ${safeText(d.coroutine.name, 120)}()`);
  return parts.join('  ');
}

/** A short name for a Deferred another row refers to ("waiting on b"). */
export function refName(id: number, lookup: (id: number) => DeferredView | undefined): string {
  const target = lookup(id);
  return target ? (target.name || target.label ? `${labelOf(target)} (#${id})` : labelOf(target)) : `#${id}`;
}

const STATUSES: ReadonlySet<string> = new Set<DeferredStatus>(['pending', 'fired', 'failed', 'paused', 'waiting']);

/** The status as a known keyword (it becomes a CSS class and an icon), unknown ones as pending. */
export function statusOf(d: DeferredView): DeferredStatus {
  return STATUSES.has(d.status) ? d.status : 'pending';
}

/** The state column: what `repr(d)` would say, plus collected/cancelled marks. */
export function stateText(d: DeferredView, lookup: (id: number) => DeferredView | undefined): string {
  let text: string;
  const waiting = d.waitingOn != null ? `waiting on ${refName(d.waitingOn, lookup)}` : null;
  const status = statusOf(d);
  switch (status) {
    case 'waiting':
      text = waiting ?? 'waiting';
      break;
    case 'paused':
      text = waiting ? `paused — ${waiting}` : 'paused';
      break;
    default:
      text = status;
  }
  if (d.coroutine && !d.coroutine.finished && d.coroutine.waitingOn != null && d.waitingOn == null) {
    text += ` — awaiting ${refName(d.coroutine.waitingOn, lookup)}`;
  }
  if (d.cancelled) text += ' · cancelled';
  if (d.collected) text += ' · collected';
  return text;
}

export function failureText(failure: FailureResult, limit: number = ROW_TEXT_LIMIT): string {
  const message = failure.message ? `: ${failure.message}` : '';
  return safeText(`${failure.excType}${message}`, limit);
}

/**
 * The result column, as `getattr(d, 'result', "N/A")` prints it: the repr, the failure, a Deferred
 * result as "→ #id", or N/A when there is no result attribute.
 */
export function resultText(d: DeferredView, limit: number = ROW_TEXT_LIMIT): string {
  if (!d.hasResult || !d.result) return 'N/A';
  const r = d.result;
  switch (r.kind) {
    case 'deferred':
      return `→ #${r.id}`;
    case 'failure':
      // As Twisted's repr prints it, so the row reads like status() in the notebook.
      return safeText(`<twisted.python.failure.Failure ${r.excType}: ${r.message}>`, limit);
    default:
      return safeText(r.repr, limit);
  }
}

export function callableText(c: CallableInfo | null): string {
  return c ? safeText(c.name, 160) : '—';
}

export function locationText(file: string, line: number | null): string {
  const base = file.split(/[\\/]/).pop() || file;
  return `${safeText(base, 120)}${line != null ? `:${line}` : ''}`;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

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
  return `timer: ${safeText(timer.function, 160)} — ${when}${timer.active ? '' : ' (not active)'}`;
}
