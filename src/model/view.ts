/**
 * What the model derives from a Deferred's raw state for display: its status, its name and
 * the notebook's `status()` pair (result or N/A, number of pending callbacks). Shared by the
 * webview feed, the CLI and the golden tests so all three say the same thing.
 */
import type { DeferredState, DeferredStatus, DeferredView, FailureResult, Result } from '../protocol/protocol';

/**
 * Status in the order a reader cares about: a Deferred waiting on another is shown as waiting
 * even though Twisted also counts it as paused; one paused by the user is paused; otherwise
 * fired (or failed, when its current result is a Failure) once `callback()` ran.
 */
export function deriveStatus(state: DeferredState): DeferredStatus {
  if (state.waitingOn !== null) return 'waiting';
  if (state.paused > 0) return 'paused';
  if (!state.called) return 'pending';
  return state.result?.kind === 'failure' ? 'failed' : 'fired';
}

/** The retention/header bucket: waiting and paused Deferreds are still in progress. */
export type Bucket = 'pending' | 'fired' | 'failed';

export function bucketOf(status: DeferredStatus): Bucket {
  return status === 'fired' || status === 'failed' ? status : 'pending';
}

/** How a Deferred is called when it has no name: `Deferred #3 (DeferredList)`. */
export function anonymousName(view: Pick<DeferredState, 'id' | 'type'>): string {
  return `Deferred #${view.id} (${view.type})`;
}

/** The name shown for a row: a variable of the selected frame, a label(), else the id. */
export function displayName(view: DeferredView): string {
  return view.name ?? anonymousName(view);
}

/**
 * A Failure as Twisted's own repr prints it (`<twisted.python.failure.Failure
 * builtins.ValueError: boom>`), so the row reads like `status()` in a notebook.
 */
export function failureText(excType: string, message: string): string {
  const qualified = excType.includes('.') ? excType : `builtins.${excType}`;
  return `<twisted.python.failure.Failure ${qualified}: ${message}>`;
}

/** The first half of the notebook's `status()` pair: the result's text, or N/A. */
export function resultText(result: Result | null): string {
  if (result === null) return 'N/A';
  switch (result.kind) {
    case 'value':
      return result.repr;
    case 'failure':
      return failureText(result.excType, result.message);
    case 'deferred':
      return `Deferred #${result.id}`;
  }
}

/** What the model knows beyond the runtime's state. */
export interface ViewExtras {
  collected: boolean;
  collectedAt: number | null;
  unhandledFailure: FailureResult | null;
  lastSeq: number;
}

/**
 * A view of one Deferred. Listed field by field (the type checker keeps the list complete):
 * V8 then builds one fixed-shape object, where spreading the state measured several times slower.
 */
export function buildView(state: DeferredState, name: string | null, extras: ViewExtras): DeferredView {
  return {
    id: state.id,
    type: state.type,
    label: state.label,
    called: state.called,
    hasResult: state.hasResult,
    result: state.result,
    callbacks: state.callbacks,
    paused: state.paused,
    waitingOn: state.waitingOn,
    cancelled: state.cancelled,
    created: state.created,
    createdAt: state.createdAt,
    firedAt: state.firedAt,
    members: state.members,
    coroutine: state.coroutine,
    timer: state.timer,
    name,
    status: deriveStatus(state),
    collected: extras.collected,
    collectedAt: extras.collectedAt,
    unhandledFailure: extras.unhandledFailure,
    lastSeq: extras.lastSeq,
  };
}

/** Deep equality of two JSON values (states as parsed from the wire). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => sameJson(item, b[i]));
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  const ob = b as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(ob, k) && sameJson((a as Record<string, unknown>)[k], ob[k]));
}
