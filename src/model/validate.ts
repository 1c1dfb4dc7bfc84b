/**
 * Validation of untrusted wire input (DAP event bodies, socket lines, recording lines).
 *
 * Everything the debuggee sends is checked here once, field by field, and copied into fresh
 * objects holding only the keys the protocol defines: the rest of the model can then trust its
 * input, unknown keys of a newer minor version are dropped, and a hostile key such as
 * `__proto__` never reaches the webview. A malformed value throws {@link Malformed} with the
 * JSON path of the first bad field, which the model turns into a clear error for that one
 * event or batch without losing anything else.
 */
import {
  BLOCKED_KINDS,
  type BlockedBy,
  type CallableInfo,
  type CallbackPair,
  type CoroutineInfo,
  type DeferredState,
  type FailureResult,
  type Location,
  PROTOCOL_MAJOR,
  PROTOCOL_VERSION,
  type Result,
  type TimerInfo,
} from '../protocol/protocol';

/** A value did not have the shape the protocol defines; `message` names the path. */
export class Malformed extends Error {}

type Reader<T> = (value: unknown, path: string) => T;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string (${JSON.stringify(value.slice(0, 40))})`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function fail(path: string, expected: string, value: unknown): never {
  throw new Malformed(`${path}: expected ${expected}, got ${describe(value)}`);
}

export const str: Reader<string> = (v, p) => (typeof v === 'string' ? v : fail(p, 'a string', v));
export const bool: Reader<boolean> = (v, p) => (typeof v === 'boolean' ? v : fail(p, 'a boolean', v));
export const num: Reader<number> = (v, p) => (typeof v === 'number' && Number.isFinite(v) ? v : fail(p, 'a finite number', v));
export const int: Reader<number> = (v, p) => (Number.isSafeInteger(v) ? (v as number) : fail(p, 'an integer', v));
export const count: Reader<number> = (v, p) =>
  Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : fail(p, 'a non-negative integer', v);

/** Nullable fields may also be absent: the runtime may leave out what it does not know. */
export function nullable<T>(read: Reader<T>): Reader<T | null> {
  return (v, p) => (v === null || v === undefined ? null : read(v, p));
}

export function arrayOf<T>(read: Reader<T>): Reader<T[]> {
  return (v, p) => {
    if (!Array.isArray(v)) fail(p, 'an array', v);
    const out = new Array<T>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = read(v[i], `${p}[${i}]`);
    return out;
  };
}

/** The object itself, for reading fields; rejects arrays and null. */
export function record(v: unknown, p: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(p, 'an object', v);
  return v as Record<string, unknown>;
}

const location: Reader<Location> = (v, p) => {
  const o = record(v, p);
  return { file: str(o.file, `${p}.file`), line: int(o.line, `${p}.line`), function: str(o.function, `${p}.function`) };
};

const callable: Reader<CallableInfo> = (v, p) => {
  const o = record(v, p);
  return { name: str(o.name, `${p}.name`), file: nullable(str)(o.file, `${p}.file`), line: nullable(int)(o.line, `${p}.line`) };
};

const callbackPair: Reader<CallbackPair> = (v, p) => {
  const o = record(v, p);
  return {
    callback: nullable(callable)(o.callback, `${p}.callback`),
    errback: nullable(callable)(o.errback, `${p}.errback`),
    continues: nullable(int)(o.continues, `${p}.continues`),
  };
};

export const failureResult: Reader<FailureResult> = (v, p) => {
  const o = record(v, p);
  if (o.kind !== 'failure') fail(`${p}.kind`, '"failure"', o.kind);
  return {
    kind: 'failure',
    excType: str(o.excType, `${p}.excType`),
    message: str(o.message, `${p}.message`),
    truncated: bool(o.truncated, `${p}.truncated`),
    // Since 1.3; a 1.2 runtime sends neither.
    frames: o.frames === undefined ? [] : arrayOf(location)(o.frames, `${p}.frames`),
    raisedBy: nullable(location)(o.raisedBy, `${p}.raisedBy`),
  };
};

/** A `blockedBy` or `root` (since 1.3). An unknown kind of a newer minor reads as `unknown`. */
const blockedBy: Reader<BlockedBy> = (v, p) => {
  const o = record(v, p);
  const kind = str(o.kind, `${p}.kind`);
  return {
    kind: (BLOCKED_KINDS as readonly string[]).includes(kind) ? kind : 'unknown',
    text: str(o.text, `${p}.text`),
    ids: arrayOf(int)(o.ids, `${p}.ids`),
    location: nullable(location)(o.location, `${p}.location`),
  };
};

const result: Reader<Result> = (v, p) => {
  const o = record(v, p);
  switch (o.kind) {
    case 'value':
      return {
        kind: 'value',
        typeName: str(o.typeName, `${p}.typeName`),
        repr: str(o.repr, `${p}.repr`),
        truncated: bool(o.truncated, `${p}.truncated`),
      };
    case 'failure':
      return failureResult(v, p);
    case 'deferred':
      return { kind: 'deferred', id: int(o.id, `${p}.id`) };
    default:
      return fail(`${p}.kind`, '"value", "failure" or "deferred"', o.kind);
  }
};

const coroutine: Reader<CoroutineInfo> = (v, p) => {
  const o = record(v, p);
  if (o.kind !== 'inlineCallbacks' && o.kind !== 'coroutine') {
    fail(`${p}.kind`, '"inlineCallbacks" or "coroutine"', o.kind);
  }
  return {
    kind: o.kind,
    name: str(o.name, `${p}.name`),
    file: nullable(str)(o.file, `${p}.file`),
    line: nullable(int)(o.line, `${p}.line`),
    finished: bool(o.finished, `${p}.finished`),
    waitingOn: nullable(int)(o.waitingOn, `${p}.waitingOn`),
  };
};

const timer: Reader<TimerInfo> = (v, p) => {
  const o = record(v, p);
  return {
    callAt: num(o.callAt, `${p}.callAt`),
    delay: num(o.delay, `${p}.delay`),
    function: str(o.function, `${p}.function`),
    active: bool(o.active, `${p}.active`),
  };
};

/** One Deferred's state, checked for internal consistency as well as shape. */
export const deferredState: Reader<DeferredState> = (v, p) => {
  const o = record(v, p);
  const state: DeferredState = {
    id: int(o.id, `${p}.id`),
    type: str(o.type, `${p}.type`),
    label: nullable(str)(o.label, `${p}.label`),
    called: bool(o.called, `${p}.called`),
    hasResult: bool(o.hasResult, `${p}.hasResult`),
    result: nullable(result)(o.result, `${p}.result`),
    callbacks: arrayOf(callbackPair)(o.callbacks, `${p}.callbacks`),
    paused: int(o.paused, `${p}.paused`), // Twisted lets `unpause()` of an unpaused Deferred go below 0
    waitingOn: nullable(int)(o.waitingOn, `${p}.waitingOn`),
    cancelled: bool(o.cancelled, `${p}.cancelled`),
    created: location(o.created, `${p}.created`),
    createdAt: num(o.createdAt, `${p}.createdAt`),
    firedAt: nullable(num)(o.firedAt, `${p}.firedAt`),
    members: nullable(arrayOf(int))(o.members, `${p}.members`),
    coroutine: nullable(coroutine)(o.coroutine, `${p}.coroutine`),
    timer: nullable(timer)(o.timer, `${p}.timer`),
    blockedBy: nullable(blockedBy)(o.blockedBy, `${p}.blockedBy`),
    root: nullable(blockedBy)(o.root, `${p}.root`),
    firedBy: nullable(location)(o.firedBy, `${p}.firedBy`),
    firedAgainBy: nullable(location)(o.firedAgainBy, `${p}.firedAgainBy`),
    running: o.running === undefined ? false : bool(o.running, `${p}.running`),
  };
  if (state.hasResult !== (state.result !== null)) {
    fail(`${p}.result`, state.hasResult ? 'a result since hasResult is true' : 'null since hasResult is false', o.result);
  }
  return state;
};

/** A parsed `MAJOR.MINOR` protocol version. */
export interface Version {
  major: number;
  minor: number;
}

export function parseVersion(v: unknown, p: string): Version {
  const text = str(v, p);
  const match = /^(\d{1,6})\.(\d{1,6})$/.exec(text);
  if (!match) fail(p, 'a "MAJOR.MINOR" version', v);
  return { major: Number(match[1]), minor: Number(match[2]) };
}

/** Why a batch of another major version cannot be used, worded for the person reading it. */
export function versionSkewMessage(version: Version): string | null {
  if (version.major === PROTOCOL_MAJOR) return null;
  const which =
    version.major > PROTOCOL_MAJOR
      ? 'the runtime in the debugged program is newer than this extension: update the Deferred Graph extension'
      : 'the runtime in the debugged program is older than this extension: update the deferred_graph package it imports';
  return `Unsupported event protocol ${version.major}.${version.minor} (this extension reads ${PROTOCOL_MAJOR}.x); ${which}.`;
}

/** The events the model understands, after validation. `hello` keeps only what is shown. */
export type ParsedEvent =
  | {
      kind: 'hello';
      seq: number;
      t: number;
      protocolVersion: string;
      pid: number;
      python: string;
      twisted: string | null;
      transport: string;
    }
  | { kind: 'created' | 'changed'; seq: number; t: number; deferred: DeferredState }
  | {
      kind: 'collected';
      seq: number;
      t: number;
      id: number;
      unhandledFailure: FailureResult | null;
      firedAt: number | null;
      final: DeferredState | null;
      finalUnknown: boolean;
    }
  | { kind: 'counts'; seq: number; t: number; ephemeral: number }
  | { kind: 'marker'; seq: number; t: number; name: string }
  | { kind: 'dropped'; seq: number; t: number; count: number; total: number }
  | {
      kind: 'snapshot';
      seq: number;
      t: number;
      reason: string;
      deferreds: DeferredState[];
      ephemeral: number;
      frameNames: Record<string, string> | null;
    };

/** Reads `frameNames` into a prototype-free map, so an id such as `__proto__` stays plain data. */
const frameNames: Reader<Record<string, string>> = (v, p) => {
  const o = record(v, p);
  const out: Record<string, string> = Object.create(null);
  for (const key of Object.keys(o)) out[key] = str(o[key], `${p}.${key}`);
  return out;
};

/**
 * One event; returns `undefined` for a kind this version does not know (the caller decides
 * whether that is a newer minor's addition to ignore or a malformed event).
 */
export function parseEvent(v: unknown, p: string): ParsedEvent | undefined {
  const o = record(v, p);
  const kind = str(o.kind, `${p}.kind`);
  const seq = count(o.seq, `${p}.seq`);
  const t = num(o.t, `${p}.t`);
  switch (kind) {
    case 'hello':
      return {
        kind,
        seq,
        t,
        protocolVersion: str(o.protocolVersion, `${p}.protocolVersion`),
        pid: int(o.pid, `${p}.pid`),
        python: str(o.python, `${p}.python`),
        twisted: nullable(str)(o.twisted, `${p}.twisted`),
        transport: str(o.transport, `${p}.transport`),
      };
    case 'created':
    case 'changed':
      return { kind, seq, t, deferred: deferredState(o.deferred, `${p}.deferred`) };
    case 'collected':
      return {
        kind,
        seq,
        t,
        id: int(o.id, `${p}.id`),
        unhandledFailure: nullable(failureResult)(o.unhandledFailure, `${p}.unhandledFailure`),
        // 1.0 runtimes do not send it.
        firedAt: o.firedAt === undefined ? null : nullable(num)(o.firedAt, `${p}.firedAt`),
        // 1.3: the state at death; older runtimes send neither.
        final: nullable(deferredState)(o.final, `${p}.final`),
        finalUnknown: o.finalUnknown === undefined ? false : bool(o.finalUnknown, `${p}.finalUnknown`),
      };
    case 'counts':
      return { kind, seq, t, ephemeral: count(o.ephemeral, `${p}.ephemeral`) };
    case 'marker':
      return { kind, seq, t, name: str(o.name, `${p}.name`) };
    case 'dropped':
      return { kind, seq, t, count: count(o.count, `${p}.count`), total: count(o.total, `${p}.total`) };
    case 'snapshot':
      return {
        kind,
        seq,
        t,
        reason: str(o.reason, `${p}.reason`),
        deferreds: arrayOf(deferredState)(o.deferreds, `${p}.deferreds`),
        ephemeral: count(o.ephemeral, `${p}.ephemeral`),
        frameNames: nullable(frameNames)(o.frameNames, `${p}.frameNames`),
      };
    default:
      return undefined;
  }
}

/** A batch's envelope; its events are parsed one by one so one bad event loses nothing else. */
export interface BatchEnvelope {
  version: Version;
  pid: number;
  batch: number;
  events: unknown[];
}

export function parseBatchEnvelope(v: unknown): BatchEnvelope {
  const o = record(v, 'batch');
  const version = parseVersion(o.protocolVersion, 'batch.protocolVersion');
  const events = o.events;
  if (!Array.isArray(events)) fail('batch.events', 'an array', events);
  return { version, pid: int(o.pid, 'batch.pid'), batch: int(o.batch, 'batch.batch'), events };
}

const OUR_MINOR = Number(PROTOCOL_VERSION.split('.')[1]);

/** A batch read for the model: its valid events, or why the whole batch is refused. */
export type ReadBatch = { rejected: string; skew: boolean } | { pid: number; events: ParsedEvent[]; errors: string[]; ignored: number };

/**
 * Reads one batch from a process: refused whole when its version is incompatible (`skew`), it is
 * malformed, or it comes from another process than `expectedPid`; otherwise each event is read
 * on its own, so one bad event costs only itself. Unknown kinds of a newer minor are ignored.
 */
export function readBatch(batch: unknown, expectedPid: number | null): ReadBatch {
  let envelope: BatchEnvelope;
  try {
    const version = parseVersion(record(batch, 'batch').protocolVersion, 'batch.protocolVersion');
    const skew = versionSkewMessage(version);
    if (skew !== null) return { rejected: skew, skew: true };
    envelope = parseBatchEnvelope(batch);
  } catch (err) {
    return { rejected: `Rejected batch: ${messageOf(err)}`, skew: false };
  }
  if (expectedPid !== null && envelope.pid !== expectedPid) {
    return { rejected: `Rejected batch from process ${envelope.pid}: this session shows process ${expectedPid}.`, skew: false };
  }
  const newerMinor = envelope.version.major === PROTOCOL_MAJOR && envelope.version.minor > OUR_MINOR;
  const events: ParsedEvent[] = [];
  const errors: string[] = [];
  let ignored = 0;
  for (const [index, raw] of envelope.events.entries()) {
    const path = `batch ${envelope.batch} event ${index}`;
    try {
      const event = parseEvent(raw, path);
      if (event !== undefined) events.push(event);
      else if (newerMinor) ignored++;
      else errors.push(`${path}: unknown event kind ${JSON.stringify((raw as { kind: unknown }).kind)}`);
    } catch (err) {
      errors.push(messageOf(err));
    }
  }
  return { pid: envelope.pid, events, errors, ignored };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
