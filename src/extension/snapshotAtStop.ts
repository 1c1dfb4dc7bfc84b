/**
 * The exact snapshot at a debugger stop: one DAP `evaluate` in the selected frame that calls the
 * runtime's `debug_snapshot_packed(locals(), globals())`, returning a Batch with one `snapshot`
 * event whose `frameNames` map Deferred ids to that frame's variable names — as JSON deflated
 * and base64-encoded behind PACKED_PREFIX (about a twelfth of the JSON's size; plain
 * JSON is accepted too).
 *
 * debugpy truncates evaluate results to ~65 kB in the repl/watch/hover contexts; the `clipboard`
 * context returns the whole value (FIELD-NOTES §3). With `format.rawString` it comes unquoted;
 * adapters that ignore that flag return Python's quoted repr, which `unquotePythonString` undoes.
 * The tap takes the response in the extension host, so VS Code's relayed copy (to the workbench
 * and back) carries a placeholder instead of the ~0.4 MB result.
 */
import type * as vscode from 'vscode';
import { PACKED_PREFIX, type Batch } from '../protocol/protocol';
import { inflatePacked } from './packedBatch';
import type { DapResponse, ResponseTap } from './responseTap';

export const SNAPSHOT_EXPRESSION =
  "__import__('deferred_graph').debug_snapshot_packed(locals(), globals())";

export type SnapshotOutcome =
  | { ok: true; batch: Batch }
  /** `missingRuntime` is true when the debuggee cannot import deferred_graph at all. */
  | { ok: false; missingRuntime: boolean; message: string };

/**
 * Evaluates the snapshot expression in `frameId` of a stopped session. Never throws. With a
 * `tap` on the session's tracker, the adapter's response is used as soon as it is seen.
 */
export async function snapshotInFrame(
  session: vscode.DebugSession,
  frameId: number,
  tap?: ResponseTap,
): Promise<SnapshotOutcome> {
  const args = { expression: SNAPSHOT_EXPRESSION, frameId, context: 'clipboard', format: { rawString: true } };
  const early = tap?.next(
    (request) =>
      request.command === 'evaluate' &&
      request.arguments?.expression === SNAPSHOT_EXPRESSION &&
      request.arguments?.frameId === frameId,
    true,
  );
  const relayed: Promise<DapResponse> = Promise.resolve(session.customRequest('evaluate', args)).then(
    (body) => ({ success: true, body }),
    (error) => ({ success: false, message: error instanceof Error ? error.message : String(error) }),
  );
  const response = await (early ? Promise.race([relayed, early.response]) : relayed);
  early?.cancel();
  if (!response.success) {
    const message = response.message ?? 'evaluate failed';
    return { ok: false, missingRuntime: /deferred_graph|ModuleNotFoundError/.test(message), message };
  }
  const result = response.body?.result;
  return parseSnapshotResult(typeof result === 'string' ? result : '');
}

/** Turns an evaluate result (raw or quoted, packed or JSON) into a Batch, or says why not. */
export function parseSnapshotResult(text: string): SnapshotOutcome {
  const trimmed = text.trim();
  const unquoted = /^[rbu]?['"]/i.test(trimmed) ? unquotePythonString(trimmed) : trimmed;
  const raw = unquoted?.startsWith(PACKED_PREFIX) ? inflatePacked(unquoted) : unquoted;
  if (raw === null) return { ok: false, missingRuntime: false, message: 'unreadable evaluate result' };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return {
      ok: false,
      missingRuntime: /ModuleNotFoundError|No module named/.test(raw),
      message: `not a snapshot: ${raw.slice(0, 200)}`,
    };
  }
  if (typeof value !== 'object' || value === null || !Array.isArray((value as Batch).events)) {
    return { ok: false, missingRuntime: false, message: 'evaluate returned JSON that is not a Batch' };
  }
  return { ok: true, batch: value as Batch };
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\', "'": "'", '"': '"', n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', a: '\x07', '0': '\0',
};

/** Decodes a Python `str` repr ('…' or "…", with \\, \n, \xNN, \uNNNN, \UNNNNNNNN escapes). */
export function unquotePythonString(literal: string): string | null {
  const match = /^([rbu]?)(['"])([\s\S]*)\2$/i.exec(literal);
  if (!match) return null;
  const [, prefix, , body] = match;
  if (prefix.toLowerCase() === 'r') return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = body[++i];
    const width = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
    if (width) {
      const code = Number.parseInt(body.slice(i + 1, i + 1 + width), 16);
      if (Number.isNaN(code)) return null;
      out += String.fromCodePoint(code);
      i += width;
    } else if (next in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[next];
    } else {
      out += '\\' + (next ?? '');
    }
  }
  return out;
}

/** The top frame of a stopped thread, as the adapter reports it. */
export async function topFrameId(
  session: vscode.DebugSession,
  threadId: number,
): Promise<number | null> {
  try {
    const trace = await session.customRequest('stackTrace', { threadId, startFrame: 0, levels: 1 });
    const frame = trace?.stackFrames?.[0];
    return typeof frame?.id === 'number' ? frame.id : null;
  } catch {
    return null;
  }
}
