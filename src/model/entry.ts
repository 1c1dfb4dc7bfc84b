/**
 * What the session model keeps per Deferred: the last state it accepted with its seq, and what
 * the runtime said of its death. Apart from sessionModel.ts, which decides how events change it.
 */
import type { DeferredState, FailureResult } from '../protocol/protocol';
import type { Bucket } from './view';

export interface Entry {
  state: DeferredState;
  stateSeq: number;
  collectedSeq: number | null;
  collectedAt: number | null;
  unhandledFailure: FailureResult | null;
  /** From the collected event: it fired before it died, whatever the last state read says. */
  firedAtDeath: number | null;
  bucket: Bucket | 'collected';
}

/** What is remembered of a Deferred that is not (or no longer) in `entries`. */
export interface Forgotten {
  /** seq of the last state known, -1 when none (a collected event that came first). */
  stateSeq: number;
  collectedSeq: number | null;
  collectedAt: number | null;
  unhandledFailure: FailureResult | null;
  firedAtDeath: number | null;
}

/**
 * A Deferred can fire and be collected between two drains of the runtime; the collected event
 * then says when it fired, and the last state read (not called yet) must not show it pending.
 */
export function withDeathFire(state: DeferredState, firedAtDeath: number | null): DeferredState {
  if (firedAtDeath === null || state.called) return state;
  return { ...state, called: true, firedAt: state.firedAt ?? firedAtDeath };
}
