/** The model's public option and result types (kept apart so the CLI and tests import them lightly). */

export interface ModelOptions {
  sessionId: string;
  /** Most fired/failed Deferreds kept (oldest evicted first); Infinity keeps all. */
  retainFired: number;
  /** Most collected Deferreds kept (oldest evicted first); Infinity keeps all. */
  retainCollected: number;
}

export interface ApplyOutcome {
  /** False when the batch or any of its events was rejected (see `error`). */
  ok: boolean;
  error?: string;
  /** Events that changed the model. */
  applied: number;
  /** Valid events with nothing new: stale, duplicate, or an unknown kind of a newer minor. */
  ignored: number;
}

/** What the hello event said about the debugged process. */
export interface RuntimeInfo {
  pid: number;
  python: string;
  twisted: string | null;
  transport: string;
  protocolVersion: string;
}

export interface Marker {
  name: string;
  seq: number;
}
