/**
 * Making text safe to show: every string in a row may come from the debugged program, so it is
 * bounded and has control and bidi characters escaped before it reaches `textContent`. The
 * words themselves come from the model (`src/model/view.ts`), so the panel says what the CLI
 * and the goldens say; this module only decides how much of them fits and how it looks.
 * Nothing here touches the DOM, so it is cheap to test and to call for every row.
 */

import { type RowText, rowText, type ViewLookup } from '../src/model/view';
import type { DeferredView } from '../src/protocol/protocol';

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

/**
 * Cuts `value` to at most `max` characters in the middle, not at the end: fifteen labels that
 * differ only in their last characters (`installation for Customer 12`, `…13`) stay distinct.
 * The cut text is then made safe like any other ({@link safeText}).
 */
export function middleCut(value: unknown, max: number): string {
  const text = typeof value === 'string' ? value : value == null ? '' : String(value);
  if (text.length <= max || max < 5) return safeText(text);
  const tail = Math.floor((max - 1) / 2);
  const head = max - 1 - tail;
  // Never split a surrogate pair (an emoji) at either side of the cut.
  const headEnd = /[\ud800-\udbff]/.test(text[head - 1]) ? head - 1 : head;
  const tailStart = /[\udc00-\udfff]/.test(text[text.length - tail]) ? text.length - tail + 1 : text.length - tail;
  return `${text.slice(0, headEnd).replace(UNSAFE_CHARS, escapeChar)}…${text.slice(tailStart).replace(UNSAFE_CHARS, escapeChar)}`;
}

/** The tooltip twin of {@link safeText}: longer, still bounded. */
export function tooltipText(value: unknown): string {
  return safeText(value, TOOLTIP_LIMIT);
}

/** The texts of a Deferred row exactly as the panel draws them: the model's words (a waiting row's why), made safe. */
export function deferredCells(d: DeferredView, lookup: ViewLookup): RowText {
  const words = rowText(d, lookup, true);
  return {
    label: safeText(words.label),
    meta: safeText(words.meta),
    state: safeText(words.state),
    result: safeText(words.result),
    callbacks: words.callbacks,
  };
}
