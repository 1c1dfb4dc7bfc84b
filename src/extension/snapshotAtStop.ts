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
import { parseSnapshotResult, type SnapshotOutcome } from './packing';
import type { DapResponse, ResponseTap } from './responseTap';

export const SNAPSHOT_EXPRESSION =
  "__import__('deferred_graph').debug_snapshot_packed(locals(), globals())";

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
