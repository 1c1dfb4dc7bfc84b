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
  /** From the collected event: it changed after its last report, and nobody knows how. */
  deathUnknown: boolean;
  bucket: Bucket | 'collected';
  /** The newest `t` of a created/changed event about it (a maximum, so arrival order does not matter). */
  changedAt: number | null;
}

/** What is remembered of a Deferred that is not (or no longer) in `entries`. */
export interface Forgotten {
  /** seq of the last state known, -1 when none (a collected event that came first). */
  stateSeq: number;
  collectedSeq: number | null;
  collectedAt: number | null;
  unhandledFailure: FailureResult | null;
  firedAtDeath: number | null;
  /** The state at death from a collected event that came before any state (out of order). */
  final?: DeferredState | null;
  deathUnknown?: boolean;
}

/** What a collected event says of a Deferred's death. */
export interface Death {
  seq: number;
  t: number | null;
  failure: FailureResult | null;
  firedAt: number | null;
  final: DeferredState | null;
  finalUnknown: boolean;
}

/**
 * Records a death on what the model keeps of the Deferred (a retained entry or a forgotten
 * one). The earliest evidence of collection wins (a collected event beats the snapshot that
 * later found the Deferred missing), so the result does not depend on arrival order; the state
 * at death, once given, stands against any older state arriving later. Returns whether
 * anything changed.
 */
export function noteDeath(target: Entry | Forgotten, death: Death): boolean {
  const first = target.collectedSeq == null;
  const earlier = !first && death.seq < (target.collectedSeq as number);
  const newFailure = death.failure !== null && target.unhandledFailure === null;
  const final = death.final;
  if (!first && !earlier && !newFailure && final === null && !death.finalUnknown) return false;
  if (first || earlier) {
    target.collectedSeq = death.seq;
    target.collectedAt = death.t;
  }
  if (first || newFailure) target.unhandledFailure = death.failure;
  if (death.firedAt !== null && target.firedAtDeath === null) target.firedAtDeath = death.firedAt;
  if ('state' in target) {
    if (final !== null && final.id === target.state.id) {
      target.state = final;
      target.stateSeq = Math.max(target.stateSeq, death.seq);
    }
    target.deathUnknown ||= death.finalUnknown && final === null;
    target.state = withDeathFire(target.state, target.firedAtDeath);
  } else {
    if (final !== null) target.final = final;
    target.deathUnknown ||= death.finalUnknown;
  }
  return true;
}

/**
 * A Deferred can fire and be collected between two drains of the runtime; the collected event
 * then says when it fired, and the last state read (not called yet) must not show it pending.
 */
export function withDeathFire(state: DeferredState, firedAtDeath: number | null): DeferredState {
  if (firedAtDeath === null || state.called) return state;
  return { ...state, called: true, firedAt: state.firedAt ?? firedAtDeath };
}
