/**
 * The one protocol module: the runtime's wire events (mirroring python/deferred_graph/wire.py —
 * test/unit/protocolDrift.test.ts fails when they drift) and the messages between the extension
 * host and the webview. Imported by the model, the CLI, the extension and the webview; it must
 * never import `vscode`.
 *
 * JSON keys are camelCase; times are milliseconds since the Unix epoch.
 */

/** Major.minor of the runtime event schema; a different major is rejected. */
export const PROTOCOL_VERSION = '1.2';
export const PROTOCOL_MAJOR = 1;

export const RECORDING_FORMAT = 'deferred-graph-recording';
export const RECORDING_FORMAT_VERSION = 1;
export const DAP_EVENT_NAME = 'deferredGraph';
export const SOCKET_AUTH_KIND = 'auth';
/** Starts a packed Batch's text, then base64 of its zlib-deflated JSON (DAP route only). */
export const PACKED_PREFIX = 'zlib64:';

/**
 * The `deferred_graph` function the extension's DAP `evaluate` calls at every stop, as
 * `SNAPSHOT_FUNCTION(locals(), globals())`; it returns the packed snapshot Batch naming the
 * frame's Deferreds. On the wire because the debuggee may run another runtime version.
 */
export const SNAPSHOT_FUNCTION = 'debug_snapshot_packed';

/** Environment variables read by the runtime's bootstrap and transports. */
export const ENV = {
  enable: 'DEFERRED_GRAPH_ENABLE',
  socket: 'DEFERRED_GRAPH_SOCKET',
  token: 'DEFERRED_GRAPH_TOKEN',
  record: 'DEFERRED_GRAPH_RECORD',
  transport: 'DEFERRED_GRAPH_TRANSPORT',
  flushMs: 'DEFERRED_GRAPH_FLUSH_MS',
  buffer: 'DEFERRED_GRAPH_BUFFER',
  reprLimit: 'DEFERRED_GRAPH_REPR_LIMIT',
} as const;

export const EVENT_KINDS = [
  'hello',
  'created',
  'changed',
  'collected',
  'marker',
  'dropped',
  'snapshot',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

// ---------------------------------------------------------------------------------------------
// Runtime → extension: the wire schema
// ---------------------------------------------------------------------------------------------

export interface Location {
  file: string;
  line: number;
  function: string;
}

export interface CallableInfo {
  name: string;
  file: string | null;
  line: number | null;
}

/** One pending (callback, errback) pair; `continues` is set for Twisted's _CONTINUE entries. */
export interface CallbackPair {
  callback: CallableInfo | null;
  errback: CallableInfo | null;
  continues: number | null;
}

export interface ValueResult {
  kind: 'value';
  typeName: string;
  repr: string;
  truncated: boolean;
}

export interface FailureResult {
  kind: 'failure';
  excType: string;
  message: string;
  truncated: boolean;
}

export interface DeferredResult {
  kind: 'deferred';
  id: number;
}

export type Result = ValueResult | FailureResult | DeferredResult;

export interface CoroutineInfo {
  kind: 'inlineCallbacks' | 'coroutine';
  name: string;
  file: string | null;
  line: number | null;
  finished: boolean;
  waitingOn: number | null;
}

export interface TimerInfo {
  callAt: number;
  delay: number;
  function: string;
  active: boolean;
}

export interface DeferredState {
  id: number;
  type: string;
  label: string | null;
  called: boolean;
  hasResult: boolean;
  result: Result | null;
  callbacks: CallbackPair[];
  paused: number;
  waitingOn: number | null;
  cancelled: boolean;
  created: Location;
  createdAt: number;
  firedAt: number | null;
  members: number[] | null;
  coroutine: CoroutineInfo | null;
  timer: TimerInfo | null;
}

interface EventBase {
  seq: number;
  t: number;
}

export interface HelloEvent extends EventBase {
  kind: 'hello';
  protocolVersion: string;
  pid: number;
  python: string;
  twisted: string | null;
  argv: string[];
  transport: string;
}

export interface CreatedEvent extends EventBase {
  kind: 'created';
  deferred: DeferredState;
}

export interface ChangedEvent extends EventBase {
  kind: 'changed';
  deferred: DeferredState;
}

export interface CollectedEvent extends EventBase {
  kind: 'collected';
  id: number;
  unhandledFailure: FailureResult | null;
  /** When it fired (null: never); added in 1.1, absent from 1.0 runtimes. */
  firedAt: number | null;
}

export interface MarkerEvent extends EventBase {
  kind: 'marker';
  name: string;
}

export interface DroppedEvent extends EventBase {
  kind: 'dropped';
  count: number;
  total: number;
}

export interface SnapshotEvent extends EventBase {
  kind: 'snapshot';
  reason: string;
  deferreds: DeferredState[];
  ephemeral: number;
  frameNames: Record<string, string> | null;
}

export type RuntimeEvent =
  | HelloEvent
  | CreatedEvent
  | ChangedEvent
  | CollectedEvent
  | MarkerEvent
  | DroppedEvent
  | SnapshotEvent;

export interface Batch {
  protocolVersion: string;
  pid: number;
  batch: number;
  events: RuntimeEvent[];
}

/** A DAP event body carrying a Batch packed (since 1.2); `packed` starts with PACKED_PREFIX. */
export interface PackedBatch {
  protocolVersion: string;
  pid: number;
  batch: number;
  packed: string;
}

export interface RecordingHeader {
  format: string;
  formatVersion: number;
  protocolVersion: string;
  pid: number;
  startedAt: number;
  argv: string[];
}

// ---------------------------------------------------------------------------------------------
// Extension host ↔ webview
// (The drift test compares everything above this heading with wire.py, and nothing below it:
// keep wire types above it and webview-only types below.)
// ---------------------------------------------------------------------------------------------

/** Version of the host↔webview messages; bumped when a message changes shape. */
export const WEBVIEW_PROTOCOL_VERSION = 1;

export type DeferredStatus = 'pending' | 'fired' | 'failed' | 'paused' | 'waiting';

/** A Deferred as the view shows it: the runtime state plus what the model derived. */
export interface DeferredView extends DeferredState {
  /** Variable name in the selected frame, else the label(), else null. */
  name: string | null;
  status: DeferredStatus;
  collected: boolean;
  collectedAt: number | null;
  unhandledFailure: FailureResult | null;
  /** seq of the last event that changed this Deferred. */
  lastSeq: number;
}

export interface SessionSummary {
  id: string;
  name: string;
  parentId: string | null;
  pid: number | null;
  state: 'running' | 'stopped' | 'ended';
  /** Why the view may be incomplete (attach session, not instrumented, ...), with a remedy. */
  notice: string | null;
}

export interface GraphHeader {
  sessionId: string;
  pending: number;
  fired: number;
  failed: number;
  collected: number;
  dropped: number;
  ephemeral: number;
  /** Set when the session's events cannot be used (e.g. a future major protocol version). */
  error: string | null;
  lastMarker: string | null;
}

export type ToWebviewMessage =
  | {
      type: 'init';
      version: number;
      sessions: SessionSummary[];
      activeSessionId: string | null;
      header: GraphHeader | null;
      deferreds: DeferredView[];
    }
  | { type: 'sessions'; sessions: SessionSummary[]; activeSessionId: string | null }
  | {
      type: 'delta';
      sessionId: string;
      header: GraphHeader;
      upserts: DeferredView[];
      removed: number[];
    }
  | {
      type: 'full';
      sessionId: string;
      header: GraphHeader;
      deferreds: DeferredView[];
    };

export type FromWebviewMessage =
  | { type: 'ready'; version: number }
  | { type: 'openLocation'; file: string; line: number }
  | { type: 'selectSession'; sessionId: string };

/**
 * Large host→webview messages travel packed: their JSON, zlib-deflated, as a byte array.
 *
 * `webview.postMessage` JSON-encodes an object, and in code-server (VS Code in the browser) the
 * workbench receives that text escaped inside its own RPC JSON, decodes it and re-posts it to
 * the webview's iframe — ~0.5 MB for the 1,000 renamed rows of a debugger stop, 50–90 ms on the
 * stop's critical path while the workbench was busy with the stop itself. A typed array is
 * passed beside the RPC message as binary and handed to the iframe as is, and deflated it is
 * about a tenth of the size (bench/RESULTS-e2e.md). Small messages stay plain objects.
 *
 * The host packs with Node's zlib (src/extension/packing.ts), the webview unpacks with the
 * browser's DecompressionStream (webview/unpack.ts); both speak the zlib ("deflate") format.
 * It lives here, not beside either, because both sides must agree on it and the webview bundle
 * may take only this module from src/ (no node:zlib there).
 */
export interface PackedMessage {
  type: 'packed';
  /** UTF-8 JSON of a ToWebviewMessage, zlib-deflated. */
  deflated: Uint8Array;
}

/** Messages whose JSON is longer than this many characters are packed. */
export const PACK_THRESHOLD_CHARS = 16 * 1024;

export function isPackedMessage(data: unknown): data is PackedMessage {
  return (
    typeof data === 'object' &&
    data !== null &&
    (data as { type?: unknown }).type === 'packed' &&
    (data as { deflated?: unknown }).deflated instanceof Uint8Array
  );
}
