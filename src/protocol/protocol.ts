/**
 * The one protocol module: the runtime's wire events (mirroring python/deferred_graph/wire.py —
 * test/unit/protocolDrift.test.ts fails when they drift) and the messages between the extension
 * host and the webview. Imported by the model, the CLI, the extension and the webview; it must
 * never import `vscode`.
 *
 * JSON keys are camelCase; times are milliseconds since the Unix epoch. A Deferred's `id` is a
 * serial integer, unique within one process (`pid`) and never reused.
 */

/** Major.minor of the runtime event schema; a different major is rejected. */
export const PROTOCOL_VERSION = '1.3';
/** PROTOCOL_VERSION's major, the part a consumer must match. */
export const PROTOCOL_MAJOR = 1;

/** The `format` value of a recording file's header line. */
export const RECORDING_FORMAT = 'deferred-graph-recording';
/** Version of the recording container (header line + one Batch per line). */
export const RECORDING_FORMAT_VERSION = 1;
/** Name of the custom DAP event whose body is a Batch (or a PackedBatch). */
export const DAP_EVENT_NAME = 'deferredGraph';
/** `kind` of a socket client's first line: `{"kind": "auth", "token": HEX, "pid": N}`. */
export const SOCKET_AUTH_KIND = 'auth';
/** Starts a packed Batch's text, then base64 of its zlib-deflated JSON (DAP route only). */
export const PACKED_PREFIX = 'zlib64:';

/**
 * The `deferred_graph` function the extension's DAP `evaluate` calls at every stop, as
 * `SNAPSHOT_FUNCTION(locals(), globals())`; it returns the packed snapshot Batch naming the
 * frame's Deferreds. On the wire because the debuggee may run another runtime version.
 */
export const SNAPSHOT_FUNCTION = 'debug_snapshot_packed';

/** Environment variables read by the runtime's bootstrap and transports; the extension sets them. */
export const ENV = {
  /** "1": sitecustomize installs the runtime (lazily, when Twisted's defer is imported). */
  enable: 'DEFERRED_GRAPH_ENABLE',
  /** "tcp:127.0.0.1:PORT" or "unix:/path/to/socket": where the socket transport connects. */
  socket: 'DEFERRED_GRAPH_SOCKET',
  /** 64 hex characters (32 random bytes) the socket client authenticates with. */
  token: 'DEFERRED_GRAPH_TOKEN',
  /** Path of a JSON Lines recording to write. */ record: 'DEFERRED_GRAPH_RECORD',
  /** "auto" (default), "dap", "socket" or "none". */ transport: 'DEFERRED_GRAPH_TRANSPORT',
  /** Pump period in milliseconds (default 50). */ flushMs: 'DEFERRED_GRAPH_FLUSH_MS',
  /** Most events queued for a transport (default 20000) before they are dropped and counted. */
  buffer: 'DEFERRED_GRAPH_BUFFER',
  /** Most characters of a result repr (default 300). */ reprLimit: 'DEFERRED_GRAPH_REPR_LIMIT',
} as const;

/** Every `kind` a RuntimeEvent can have in this version; newer kinds are ignored. */
export const EVENT_KINDS = ['hello', 'created', 'changed', 'collected', 'marker', 'dropped', 'snapshot', 'counts'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Every `BlockedBy.kind` (since 1.3): what will fire a pending Deferred. */
export const BLOCKED_KINDS = [
  'deferred',
  'list',
  'generator',
  'timer',
  'thread',
  'process',
  'connection',
  'lock',
  'queue',
  'orphan',
  'unknown',
] as const;
export type BlockedKind = (typeof BLOCKED_KINDS)[number];

// ---------------------------------------------------------------------------------------------
// Runtime → extension: the wire schema
// ---------------------------------------------------------------------------------------------

/** A place in source: where a Deferred was created, or where a callable is defined. */
export interface Location {
  /** Path of the source file, as the debuggee sees it. */ file: string;
  /** 1-based line number. */ line: number;
  /** Name of the enclosing function (`<module>` at top level). */ function: string;
}

/** A callback or errback: its qualified name and, when it has Python source, where. */
export interface CallableInfo {
  /** Its `__qualname__` (`Class.method`, `<lambda>`...). */ name: string;
  /** Source file, null for builtins and C functions. */ file: string | null;
  /** Definition line, null without source. */ line: number | null;
}

/** One pending (callback, errback) pair, as `len(d.callbacks)` counts them. */
export interface CallbackPair {
  /** Null for Twisted's `_CONTINUE` entry. */ callback: CallableInfo | null;
  /** Null for Twisted's `_CONTINUE` entry. */ errback: CallableInfo | null;
  /** Id of the waiting Deferred when this is Twisted's `_CONTINUE` entry ("continues #N"). */
  continues: number | null;
}

/** A result that is a plain value (`kind: 'value'`). */
export interface ValueResult {
  kind: 'value';
  /** Class name of the value. */ typeName: string;
  /** Bounded repr; never raises (a failing repr becomes "<repr failed: ...>"). */ repr: string;
  /** Whether `repr` was cut at the repr limit. */ truncated: boolean;
}

/** A result that is a Failure (`kind: 'failure'`). */
export interface FailureResult {
  kind: 'failure';
  /** Qualified exception class name. */ excType: string;
  /** Bounded str(exception). */ message: string;
  /** Whether `message` was cut at the repr limit. */ truncated: boolean;
  /** Its traceback, bounded, innermost last (since 1.3; absent from older runtimes). */ frames: Location[];
  /** The callback that raised it, null when it was handed to errback() (since 1.3). */ raisedBy: Location | null;
}

/** A result that is another Deferred (`kind: 'deferred'`). */
export interface DeferredResult {
  kind: 'deferred';
  /** The Deferred that is this one's result. */ id: number;
}

export type Result = ValueResult | FailureResult | DeferredResult;

/** The generator (inlineCallbacks) or coroutine (ensureDeferred) driving a Deferred. */
export interface CoroutineInfo {
  kind: 'inlineCallbacks' | 'coroutine';
  /** Qualified function name. */ name: string;
  /** Source file of the function, null without source. */ file: string | null;
  /** Line where it is suspended now, else its definition line. */ line: number | null;
  /** Whether the generator or coroutine has returned. */ finished: boolean;
  /** Id of the Deferred it awaits now. */ waitingOn: number | null;
}

/** The DelayedCall behind a deferLater Deferred (reachable until it fires on Twisted 24.7+). */
export interface TimerInfo {
  /** Reactor time (seconds) the call is due. */ callAt: number;
  /** Seconds from now when the state was read. */ delay: number;
  /** Name of the function it will call. */ function: string;
  /** Whether the call is still scheduled (not run or cancelled). */ active: boolean;
}

/**
 * What a pending Deferred waits for (since 1.3). `text` is the runtime's fact phrase (the view
 * composes the row's words from it, src/model/view.ts); `ids` are the Deferreds it names: for
 * `blockedBy` the ones awaited, for `root` the path followed, this Deferred first.
 */
export interface BlockedBy {
  /** One of BLOCKED_KINDS (an unknown kind of a newer runtime reads as unknown). */ kind: string;
  /** Bounded fact phrase: "in 1.8 s · deferLater(on_done)", "PoetryClientFactory → 127.0.0.1:10000 · connecting". */
  text: string;
  /** Deferreds it names (see above). */ ids: number[];
  /** Where it is in the source: the suspended line, the worker's line, the timer's call. */
  location: Location | null;
}

/** Everything known about one Deferred at the moment the event was emitted. */
export interface DeferredState {
  /** Serial id, unique within the process. */ id: number;
  /** Class name: "Deferred", "DeferredList", "_ConcurrencyPrimitive"... */ type: string;
  /** Set by deferred_graph.label(). */ label: string | null;
  /** Twisted's `called`: it has been fired. */ called: boolean;
  /** hasattr(d, "result"). */ hasResult: boolean;
  /** Null iff hasResult is false. */ result: Result | null;
  /** The pending pairs, in order. */ callbacks: CallbackPair[];
  /** Twisted's pause counter (below 0 after an unpause() that had no pause). */ paused: number;
  /** Id of d._chainedTo: the Deferred this one waits on. */ waitingOn: number | null;
  /** Whether cancel() was called before it fired. */ cancelled: boolean;
  /** First frame outside Twisted's defer module. */ created: Location;
  /** When it was created. */ createdAt: number;
  /** When `called` first became true. */ firedAt: number | null;
  /** DeferredList members, in order. */ members: number[] | null;
  /** The generator or coroutine driving it. */ coroutine: CoroutineInfo | null;
  /** The deferLater timer that will fire it. */ timer: TimerInfo | null;
  /** What it waits for; null once it has a result and is not paused (since 1.3). */ blockedBy: BlockedBy | null;
  /** The end of the wait, `ids` the path (since 1.3). */ root: BlockedBy | null;
  /** Where callback()/errback() was called: the first frame outside Twisted's defer module. */
  firedBy: Location | null;
  /** The second caller, after an AlreadyCalledError. */ firedAgainBy: Location | null;
  /** Its callbacks are running right now. */ running: boolean;
}

interface EventBase {
  /** Process-wide counter, so events that arrive in batches out of order can be ordered. */ seq: number;
  /** When the event was emitted. */ t: number;
}

/** The runtime's first event on a transport: who is talking. */
export interface HelloEvent extends EventBase {
  kind: 'hello';
  /** The runtime's PROTOCOL_VERSION. */ protocolVersion: string;
  /** The debuggee's process id. */ pid: number;
  /** Python version string. */ python: string;
  /** Twisted's version, null while Twisted is not imported. */ twisted: string | null;
  /** sys.argv of the debuggee. */ argv: string[];
  /** "dap", "socket", "record" or "none". */ transport: string;
}

/** The first report of a Deferred. */
export interface CreatedEvent extends EventBase {
  kind: 'created';
  /** Its state when reported (it may have changed since creation). */ deferred: DeferredState;
}

/** A reported Deferred's new state (changes between drains coalesce into one). */
export interface ChangedEvent extends EventBase {
  kind: 'changed';
  /** Its whole new state. */ deferred: DeferredState;
}

/** The Deferred was garbage-collected. */
export interface CollectedEvent extends EventBase {
  kind: 'collected';
  /** The Deferred that is gone. */ id: number;
  /** The Failure nobody handled, when Twisted logs "Unhandled error in Deferred" for it. */
  unhandledFailure: FailureResult | null;
  /** When it fired (null: never); added in 1.1, absent from 1.0 runtimes. */ firedAt: number | null;
  /**
   * Its state when it died, when that changed after the last state reported (null: that state
   * stands); added in 1.3.
   */
  final: DeferredState | null;
  /** It changed after the last report but the runtime could not read how (1.3). */ finalUnknown: boolean;
}

/** Counts the stream carries (since 1.3), sent when they change. */
export interface CountsEvent extends EventBase {
  kind: 'counts';
  /** Deferreds created and collected unseen since start (not reported one by one). */ ephemeral: number;
}

/** A named point on the timeline (deferred_graph.mark()). */
export interface MarkerEvent extends EventBase {
  kind: 'marker';
  /** The name given to mark(). */ name: string;
}

/** Events were lost since the last report; a `snapshot` follows to resync. */
export interface DroppedEvent extends EventBase {
  kind: 'dropped';
  /** Lost since the last report. */ count: number;
  /** Lost since start. */ total: number;
}

/** The full current state; authoritative over every event with a lower `seq`. */
export interface SnapshotEvent extends EventBase {
  kind: 'snapshot';
  /** "request", "resync", "stop" or "connect". */ reason: string;
  /** Every live Deferred. */ deferreds: DeferredState[];
  /** Deferreds created and collected unseen since start (not reported one by one). */ ephemeral: number;
  /** Deferred ids (as strings) → the variable names referring to them in a debugger frame. */
  frameNames: Record<string, string> | null;
}

export type RuntimeEvent =
  | HelloEvent
  | CreatedEvent
  | ChangedEvent
  | CollectedEvent
  | MarkerEvent
  | DroppedEvent
  | SnapshotEvent
  | CountsEvent;

/** The unit of transport: a DAP event body, a socket line, a recording line. */
export interface Batch {
  /** The runtime's PROTOCOL_VERSION. */ protocolVersion: string;
  /** The debuggee's process id. */ pid: number;
  /** Per-process batch counter (snapshots taken on request use 0). */ batch: number;
  /** The events, in `seq` order. */ events: RuntimeEvent[];
}

/** A DAP event body carrying a Batch packed (since 1.2), for large batches only. */
export interface PackedBatch {
  /** As the Batch's own. */ protocolVersion: string;
  /** As the Batch's own. */ pid: number;
  /** As the Batch's own. */ batch: number;
  /** PACKED_PREFIX + base64 of the Batch's zlib-deflated JSON. */ packed: string;
}

/** First line of a recording file; one Batch per line follows. */
export interface RecordingHeader {
  /** RECORDING_FORMAT. */ format: string;
  /** RECORDING_FORMAT_VERSION. */ formatVersion: number;
  /** The runtime's PROTOCOL_VERSION. */ protocolVersion: string;
  /** The recorded process id. */ pid: number;
  /** When recording started. */ startedAt: number;
  /** sys.argv of the recorded program. */ argv: string[];
}

// ---------------------------------------------------------------------------------------------
// Extension host ↔ webview
// (The drift test compares everything above this heading with wire.py, and nothing below it:
// keep wire types above it and webview-only types below.)
// ---------------------------------------------------------------------------------------------

/** Version of the host↔webview messages; bumped when a message changes shape. */
export const WEBVIEW_PROTOCOL_VERSION = 1;

/** What a row says a Deferred is doing; `waiting` is waiting on another Deferred (nested under it). */
export type DeferredStatus = 'pending' | 'fired' | 'failed' | 'paused' | 'waiting';

/** A Deferred as the view shows it: the runtime state plus what the model derived. */
export interface DeferredView extends DeferredState {
  /** Variable name in the selected frame, else the label(), else null. */ name: string | null;
  /** Derived from the state (waiting and paused count as pending in the header). */ status: DeferredStatus;
  /** Whether it was garbage-collected (kept for a while, see retainCollected). */ collected: boolean;
  /** When the collection was reported. */ collectedAt: number | null;
  /** The Failure it died with unhandled, if any. */ unhandledFailure: FailureResult | null;
  /** It changed after its last report and died before the runtime could read how. */ stateAtDeathUnknown: boolean;
  /** seq of the last event that changed this Deferred. */ lastSeq: number;
  /**
   * When it last changed, on the debuggee's clock (ms since the epoch): the newest `created` or
   * `changed` event about it (a write to it, or a new verdict of the idle analysis). A stop's
   * snapshot re-reads and does not count. Null when only snapshots spoke of it.
   */
  changedAt: number | null;
}

/** One debug session in the webview's picker. */
export interface SessionSummary {
  /** VS Code's debug session id. */ id: string;
  /** The session's name (its launch configuration's). */ name: string;
  /** The parent session's id for a subprocess, else null. */ parentId: string | null;
  /** The debuggee's process id, once known. */ pid: number | null;
  /** Whether the program runs, is paused at a stop, or is gone. */ state: 'running' | 'stopped' | 'ended';
  /** Why the view may be incomplete (attach session, not instrumented, ...), with a remedy. */
  notice: string | null;
}

/** The counts and status line above the tree, for one session. */
export interface GraphHeader {
  /** The session these counts are for. */ sessionId: string;
  /** Retained live Deferreds not fired yet (waiting and paused included). */ pending: number;
  /** Retained live Deferreds fired with a value. */ fired: number;
  /** Retained live Deferreds fired with a Failure. */ failed: number;
  /** Of those, holding it with no errback left: unhandled now (view.ts isUnhandledNow). */ unhandled: number;
  /** Retained live Deferreds nothing can ever fire (blockedBy orphan). */ orphans: number;
  /** Every Deferred known to be gone, evicted ones included. */ collected: number;
  /** Events the runtime dropped (its buffer was full). */ dropped: number;
  /** Deferreds created and collected between two flushes, never shown. */ ephemeral: number;
  /** Set when the session's events cannot be used (e.g. a future major protocol version). */
  error: string | null;
  /** Name of the last deferred_graph.mark(). */ lastMarker: string | null;
  /**
   * The debuggee's clock (ms since the epoch) at the newest event applied — at a stop, the
   * stop's snapshot: what "unchanged for N seconds" is measured against. Null before any event.
   */
  clock: number | null;
}

/**
 * Host → webview. `init` answers `ready` with everything; `sessions` updates the picker (a new
 * active session empties the tree until its `full`); `full` replaces the tree; `delta` changes
 * the active session's rows. `header`: the active session's; `deferreds`/`upserts`: its rows.
 */
export type ToWebviewMessage =
  | {
      type: 'init';
      /** The host's WEBVIEW_PROTOCOL_VERSION. */ version: number;
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
      /** Rows new or changed since the last message. */ upserts: DeferredView[];
      /** Ids no longer in the model (dropped by retention). */ removed: number[];
    }
  | {
      type: 'full';
      sessionId: string;
      header: GraphHeader;
      deferreds: DeferredView[];
    }
  | {
      /**
       * A command or a stop asks the webview to show something: `view` switches between the
       * tree and the graph (null: keep the current one); `reveal` are Deferred ids of the
       * active session to bring into view, the first of them selected when `select` is set.
       */
      type: 'show';
      view: 'tree' | 'graph' | null;
      reveal: number[];
      select: boolean;
    };

/**
 * Webview → host: `ready` once loaded (then `init` follows), a click on a source location, a
 * pick, and the graph exported as a picture (`data`: SVG text, or a PNG as base64) to save.
 */
export type FromWebviewMessage =
  | { type: 'ready'; version: number }
  | { type: 'openLocation'; file: string; line: number }
  | { type: 'selectSession'; sessionId: string }
  | { type: 'exportImage'; format: 'svg' | 'png'; data: string }
  /** Forget the ended sessions (the header's "Clear ended"). */
  | { type: 'clearEnded' };

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
  /** UTF-8 JSON of a ToWebviewMessage, zlib-deflated. */ deflated: Uint8Array;
}

/** Messages whose JSON is longer than this many characters are packed. */
export const PACK_THRESHOLD_CHARS = 16 * 1024;

/** Whether a message from the host is a PackedMessage (checked before it is validated). */
export function isPackedMessage(data: unknown): data is PackedMessage {
  return (
    typeof data === 'object' &&
    data !== null &&
    (data as { type?: unknown }).type === 'packed' &&
    (data as { deflated?: unknown }).deflated instanceof Uint8Array
  );
}
