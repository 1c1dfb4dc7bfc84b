/**
 * Plain-text rendering for the CLI: the status table, one row per Deferred, like the notebook's
 * `status()` but for every Deferred at once. Reprs come from the debugged program, so control
 * characters are escaped (a repr must not move the cursor or recolour the terminal) and long
 * cells are cut; `--json` keeps the full text.
 */

import type { RuntimeInfo, StatusRow } from '../model';
import type { GraphHeader } from '../protocol/protocol';

const MAX_CELL = 72;

/** Escapes C0/C1 control characters and cuts the text to `max` characters. */
export function cell(text: string, max = MAX_CELL): string {
  const safe = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
  return safe.length > max ? `${safe.slice(0, max - 1)}…` : safe;
}

/** Left-aligned columns separated by two spaces. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/**
 * The status table: label, state (with what it waits on), result or N/A, pending callbacks
 * (their number, then their names), creation site — in the panel's words (`src/model/view.ts`). The panel flags a Deferred collected with an
 * unhandled Failure, or holding one with no errback left, with an icon; the table says it in words.
 */
export function statusTable(rows: StatusRow[]): string {
  const body = rows.map((r) => [
    String(r.id),
    cell(r.label, 40),
    cell(r.unhandledFailure ? `${r.state} · unhandled failure` : r.unhandledNow ? `${r.state} · unhandled now` : r.state),
    cell(r.resultText),
    String(r.callbacks),
    cell(r.callbackNames, 60),
    cell(r.createdText, 48),
  ]);
  return renderTable(['ID', 'DEFERRED', 'STATE', 'RESULT', 'CALLBACKS', 'PENDING', 'CREATED'], body);
}

/** Two summary lines above the table: the process and the counts. */
export function summaryText(file: string, runtime: RuntimeInfo | null, header: GraphHeader, atMark: string | null): string {
  const where = atMark === null ? 'at the end' : `at marker ${JSON.stringify(atMark)}`;
  const proc = runtime
    ? `process ${runtime.pid}, Python ${runtime.python}, Twisted ${runtime.twisted ?? 'unknown'}`
    : 'process unknown (no hello event)';
  const counts = `pending ${header.pending} · fired ${header.fired} · failed ${header.failed} · collected ${header.collected} · dropped events ${header.dropped} · unseen short-lived ${header.ephemeral}`;
  return `${cell(file, 200)}: ${proc}; ${where}\n${counts}`;
}
