/**
 * The chain model's public API (pure TypeScript, no `vscode`): used by the extension host per
 * debug session, by the CLI and by the tests.
 *
 * - {@link SessionModel}: `applyBatch` for live batches (DAP custom events, socket lines),
 *   `applySnapshotBatch` for the snapshot evaluated at a stop (its `frameNames` become the names
 *   shown; `setFrameNames(null)` clears them when the program continues), `header()`, `views()`,
 *   `get(id)`, `takeDelta()` for live webview updates, `markers()`, `error` (future major
 *   protocol version), `rejected` (count and latest reason of rejected input, for a log or
 *   notice) and `runtimeInfo` (from the hello event). Nothing throws: bad input comes
 *   back as an {@link ApplyOutcome} with `ok: false` and a readable `error`.
 *   Batches from a second pid are rejected: one model shows one process.
 *   `header().collected` counts every Deferred known to be gone (including evicted ones);
 *   pending/fired/failed count the retained live ones (waiting and paused count as pending).
 * - {@link parseRecording}, {@link replayRecording} (errors with line numbers) and
 *   {@link replay} (throws only when `atMark` names no marker; `occurrence` picks the Nth).
 * - The words of a row, the same in the panel, the CLI and the goldens (all in `view.ts`, the
 *   one model file the webview imports): {@link deriveStatus}, {@link displayName},
 *   {@link stateText}, {@link resultText}, {@link rowText}, and {@link statusRow} for the CLI.
 */

export type { LineError, ParsedRecording, ReplayOptions, ReplayResult } from './recording';
export { markersIn, parseRecording, replay, replayRecording } from './recording';
export { SessionModel } from './sessionModel';
export type { StatusRow } from './statusRow';
export { statusRow } from './statusRow';
export type { ApplyOutcome, Marker, ModelOptions, RuntimeInfo } from './types';
export type { RowText, ViewLookup } from './view';
export {
  anonymousName,
  deriveStatus,
  displayName,
  failureText,
  firedByText,
  isOrphan,
  isUnhandledNow,
  refName,
  resultText,
  rootText,
  rowText,
  stateText,
  whyText,
} from './view';
