/**
 * One Deferred as a flat row: the notebook's `status()` pair (result or N/A, number of pending
 * callbacks) plus what the view shows beside it, in the panel's words. This is the CLI's
 * `--json` output and what the golden tests compare with Python's own `status()` at each marker.
 */
import type { BlockedBy, CallbackPair, DeferredStatus, DeferredView, FailureResult, Location } from '../protocol/protocol';
import { callbackNamesText, createdText, displayName, refName, resultText, rootText, stateText, type ViewLookup } from './view';
import { isUnhandledNow } from './viewWhy';

export interface StatusRow {
  id: number;
  /** What the row is called: frame variable, label() name, else `Deferred #id` (with the type of a subclass). */
  label: string;
  /** The frame variable or label() name, else null. */
  name: string | null;
  /** The label() given in the program, if any. */
  userLabel: string | null;
  type: string;
  status: DeferredStatus;
  /** The state as the panel shows it: `waiting on b (#4)`, `fired · collected`... */
  state: string;
  called: boolean;
  hasResult: boolean;
  /** The result's repr text; null without a result, or when it is a Deferred or a Failure. */
  result: string | null;
  /** The id of the Deferred that is this one's result, else null. */
  resultDeferred: number | null;
  /** The result as the panel and the table show it: repr, `Type: message`, `→ #N`, or N/A. */
  resultText: string;
  /** The result when it is a Failure: its exception type, message and traceback (innermost last). */
  failure: { excType: string; message: string; frames: Location[]; raisedBy: Location | null } | null;
  /** Pending callback pairs: what `len(d.callbacks)` gives. */
  callbacks: number;
  /** The pending pairs in full: each half's name and source, or the Deferred a pair continues. */
  callbackPairs: CallbackPair[];
  /** The pending pairs as the table shows them: `f, errback g, continues #3`. */
  callbackNames: string;
  /** Where it was created: the first frame outside Twisted's defer module. */
  created: Location;
  /** The creation site as the table shows it: `fetch() crawler.py:42`. */
  createdText: string;
  paused: number;
  waitingOn: number | null;
  cancelled: boolean;
  members: number[] | null;
  collected: boolean;
  unhandledFailure: FailureResult | null;
  /** Holds a Failure and has no errback left: unhandled now, before Twisted logs it at collection. */
  unhandledNow: boolean;
  /** What it waits for (`{kind, text, ids, location}`), null when not pending. */
  blockedBy: BlockedBy | null;
  /** The end of the wait; its `ids` are the path, this Deferred first. */
  root: BlockedBy | null;
  /** Where callback()/errback() was called. */
  firedBy: Location | null;
  /** The row's one line of "why" (the root, in the panel's words), null when not pending. */
  why: string | null;
}

/** `lookup` finds the other Deferreds a row names ("waiting on b (#4)"). */
export function statusRow(view: DeferredView, lookup: ViewLookup): StatusRow {
  const result = view.result;
  return {
    id: view.id,
    label: displayName(view),
    name: view.name,
    userLabel: view.label,
    type: view.type,
    status: view.status,
    state: stateText(view, lookup),
    called: view.called,
    hasResult: view.hasResult,
    result: result?.kind === 'value' ? result.repr : null,
    resultDeferred: result?.kind === 'deferred' ? result.id : null,
    resultText: resultText(view),
    failure:
      result?.kind === 'failure'
        ? { excType: result.excType, message: result.message, frames: result.frames, raisedBy: result.raisedBy }
        : null,
    callbacks: view.callbacks.length,
    callbackPairs: view.callbacks,
    callbackNames: callbackNamesText(view, lookup),
    created: view.created,
    createdText: createdText(view),
    paused: view.paused,
    waitingOn: view.waitingOn,
    cancelled: view.cancelled,
    members: view.members,
    collected: view.collected,
    unhandledFailure: view.unhandledFailure,
    unhandledNow: isUnhandledNow(view),
    blockedBy: view.blockedBy,
    root: view.root,
    firedBy: view.firedBy,
    why: rootText(view, (id) => refName(id, lookup)),
  };
}
