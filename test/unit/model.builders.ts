/**
 * Readable builders for wire events, so a model test reads like the story it checks
 * ("b fired with 4, then a was collected"), and every state is a complete, valid DeferredState.
 */
import type { Batch, CallbackPair, DeferredState, RuntimeEvent } from '../../src/protocol/protocol';
import { SessionModel, type ModelOptions } from '../../src/model';

export const PID = 4242;

export function newModel(options: Partial<ModelOptions> = {}): SessionModel {
  return new SessionModel({ sessionId: 's1', retainFired: Infinity, retainCollected: Infinity, ...options });
}

export function callbackPair(name: string): CallbackPair {
  return { callback: { name, file: 'prog.py', line: 10 }, errback: null, continues: null };
}

export function continues(waiting: number): CallbackPair {
  return { callback: null, errback: null, continues: waiting };
}

/** A Deferred nobody fired yet, with `callbacks` pending pairs named cb0, cb1, ... */
export function pending(id: number, extra: Partial<DeferredState> = {}): DeferredState {
  return {
    id,
    type: 'Deferred',
    label: null,
    called: false,
    hasResult: false,
    result: null,
    callbacks: [],
    paused: 0,
    waitingOn: null,
    cancelled: false,
    created: { file: 'prog.py', line: id, function: '<module>' },
    createdAt: 1000 + id,
    firedAt: null,
    members: null,
    coroutine: null,
    timer: null,
    ...extra,
  };
}

export function withCallbacks(state: DeferredState, ...names: string[]): DeferredState {
  return { ...state, callbacks: names.map(callbackPair) };
}

export function fired(id: number, repr: string, extra: Partial<DeferredState> = {}): DeferredState {
  return pending(id, {
    called: true,
    hasResult: true,
    result: { kind: 'value', typeName: 'int', repr, truncated: false },
    firedAt: 2000 + id,
    ...extra,
  });
}

export function failed(id: number, excType: string, message: string): DeferredState {
  return pending(id, {
    called: true,
    hasResult: true,
    result: { kind: 'failure', excType, message, truncated: false },
    firedAt: 2000 + id,
  });
}

/** `id` fired, but its callback returned `on`, which has not fired: it waits on it. */
export function waitingOn(id: number, on: number): DeferredState {
  return pending(id, {
    called: true,
    hasResult: true,
    result: { kind: 'deferred', id: on },
    paused: 1,
    waitingOn: on,
    firedAt: 2000 + id,
  });
}

export const created = (seq: number, deferred: DeferredState): RuntimeEvent => ({ kind: 'created', seq, t: seq, deferred });
export const changed = (seq: number, deferred: DeferredState): RuntimeEvent => ({ kind: 'changed', seq, t: seq, deferred });
export const collected = (seq: number, id: number, unhandled: string | null = null, firedAt: number | null = null): RuntimeEvent => ({
  kind: 'collected',
  seq,
  t: seq,
  id,
  unhandledFailure: unhandled === null ? null : { kind: 'failure', excType: 'builtins.ValueError', message: unhandled, truncated: false },
  firedAt,
});
export const marker = (seq: number, name: string): RuntimeEvent => ({ kind: 'marker', seq, t: seq, name });
export const dropped = (seq: number, count: number, total: number): RuntimeEvent => ({ kind: 'dropped', seq, t: seq, count, total });
export function snapshot(
  seq: number,
  deferreds: DeferredState[],
  more: { ephemeral?: number; frameNames?: Record<string, string> | null } = {},
): RuntimeEvent {
  return { kind: 'snapshot', seq, t: seq, reason: 'request', deferreds, ephemeral: more.ephemeral ?? 0, frameNames: more.frameNames ?? null };
}

let batchCounter = 0;
export function batch(...events: RuntimeEvent[]): Batch {
  return { protocolVersion: '1.0', pid: PID, batch: ++batchCounter, events };
}

/** The fields of a view that a reader sees, for compact assertions. */
export function summary(model: SessionModel, id: number): string {
  const v = model.get(id);
  if (!v) return 'absent';
  const result = v.result === null ? 'N/A' : v.result.kind === 'value' ? v.result.repr : v.result.kind === 'deferred' ? `#${v.result.id}` : v.result.excType;
  return `${v.status} ${result} cbs=${v.callbacks.length}${v.collected ? ' collected' : ''}`;
}
