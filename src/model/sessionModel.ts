/**
 * The per-session chain model: reduces the runtime's batches and snapshots into one
 * {@link DeferredView} per Deferred and a {@link GraphHeader}.
 *
 * Batches can arrive out of order and twice (two transports, reconnects, a snapshot evaluated
 * at a stop racing the pump thread), so every decision is made from the process-wide `seq`
 * the runtime puts on each event, never from arrival order:
 * - a Deferred keeps the state of the highest-seq event about it;
 * - `collected` is a tombstone: an older state arriving later never brings it back;
 * - a snapshot at seq S is authoritative: a Deferred last heard of before S and absent from it
 *   is gone, and older events about the ones in it are stale; applying it twice changes nothing.
 *
 * Memory is bounded by retention: at most `retainFired` settled (fired or failed) and
 * `retainCollected` collected Deferreds are kept, oldest first out; pending ones always stay,
 * and so do those a variable of the paused frame refers to. What was evicted is remembered in a
 * bounded map so that late events about it are still recognised as stale.
 *
 * Nothing here throws at the caller: bad input becomes an {@link ApplyOutcome} error.
 */
import type { DeferredState, DeferredView, FailureResult, GraphHeader } from '../protocol/protocol';
import { type Death, type Entry, type Forgotten, noteDeath, withDeathFire } from './entry';
import { BoundedMap, EvictionOrder, type Place } from './retention';
import type { ApplyOutcome, Marker, ModelOptions, RuntimeInfo } from './types';
import { type ParsedEvent, readBatch } from './validate';
import { type Bucket, bucketOf, buildView, deriveStatus, isUnhandledNow, sameJson } from './view';

export class SessionModel {
  private readonly entries = new Map<number, Entry>();
  private readonly eviction = new EvictionOrder();
  /** Evicted or not-yet-seen Deferreds, remembered so late events about them stay stale. */
  private readonly forgotten: BoundedMap<number, Forgotten>;
  private readonly counts = { pending: 0, fired: 0, failed: 0 };
  private collectedTotal = 0;
  private droppedTotal = 0;
  private ephemeral = 0;
  private ephemeralSeq = -1;
  private latestSnapshotSeq = -1;
  private latestSnapshotAt: number | null = null;
  private readonly markerList: Marker[] = [];
  private readonly markerSeqs = new Set<number>();
  private frameNames: Map<number, string> | null = null;
  private readonly touched = new Set<number>();
  private pid: number | null = null;
  private runtime: RuntimeInfo | null = null;
  private skewError: string | null = null;
  private rejectedCount = 0;
  private lastRejection: string | null = null;
  /** The newest event time seen (a maximum: batches arrive in any order). */
  private clock: number | null = null;

  constructor(private readonly opts: ModelOptions) {
    const retained = opts.retainFired + opts.retainCollected;
    this.forgotten = new BoundedMap(Number.isFinite(retained) ? Math.max(10_000, 4 * retained) : Infinity);
  }

  /** Set when the session's events cannot be used (a different major protocol version). */
  get error(): string | null {
    return this.skewError;
  }

  /** Batches and events rejected so far (malformed, another process) and the latest reason: for logs and notices. */
  get rejected(): { count: number; last: string | null } {
    return { count: this.rejectedCount, last: this.lastRejection };
  }

  get runtimeInfo(): RuntimeInfo | null {
    return this.runtime;
  }

  /** Validates and applies one batch (a DAP event body, a socket or recording line). */
  applyBatch(batch: unknown): ApplyOutcome {
    return this.apply(batch, false);
  }

  /**
   * Applies the Batch returned by the runtime's snapshot at a debugger stop: its snapshot's
   * `frameNames` become the names shown (null clears them).
   */
  applySnapshotBatch(batch: unknown): ApplyOutcome {
    return this.apply(batch, true);
  }

  /** Names from the selected frame, keyed by Deferred id as a string; null clears them. */
  setFrameNames(names: Record<string, string> | null): void {
    // Only rows whose name changes go into the next delta: a step in the same frame keeps most.
    const before = this.frameNames;
    this.frameNames = null;
    if (names !== null) {
      this.frameNames = new Map();
      for (const [key, name] of Object.entries(names)) {
        const id = Number(key);
        if (!Number.isSafeInteger(id) || typeof name !== 'string') continue;
        this.frameNames.set(id, name);
        if (before?.get(id) !== name) this.invalidate(id);
      }
    }
    for (const id of before?.keys() ?? []) if (!this.frameNames?.has(id)) this.invalidate(id);
  }

  header(): GraphHeader {
    const last = this.markerList[this.markerList.length - 1];
    return {
      sessionId: this.opts.sessionId,
      pending: this.counts.pending,
      fired: this.counts.fired,
      failed: this.counts.failed,
      ...this.whyCounts(),
      collected: this.collectedTotal,
      dropped: this.droppedTotal,
      ephemeral: this.ephemeral,
      error: this.skewError,
      lastMarker: last ? last.name : null,
      clock: this.clock,
    };
  }

  /** Unhandled-now and orphan counts: one pass over plain fields, no view built. */
  private whyCounts(): { unhandled: number; orphans: number } {
    let unhandled = 0;
    let orphans = 0;
    for (const entry of this.entries.values()) {
      if (entry.bucket === 'collected') continue;
      const s = entry.state;
      if (s.blockedBy?.kind === 'orphan') orphans++;
      else if (isUnhandledNow(s)) unhandled++;
    }
    return { unhandled, orphans };
  }

  /** Every retained Deferred, by id. */
  views(): DeferredView[] {
    const out: DeferredView[] = [];
    for (const entry of this.entries.values()) out.push(this.viewOf(entry));
    return out.sort((a, b) => a.id - b.id);
  }

  get(id: number): DeferredView | undefined {
    const entry = this.entries.get(id);
    return entry && this.viewOf(entry);
  }

  /** Changes since the last call: rows to add or replace, and ids no longer in the model. */
  takeDelta(): { upserts: DeferredView[]; removed: number[] } {
    const upserts: DeferredView[] = [];
    const removed: number[] = [];
    for (const id of this.touched) {
      const entry = this.entries.get(id);
      if (entry) upserts.push(this.viewOf(entry));
      else removed.push(id);
    }
    this.touched.clear();
    return { upserts, removed };
  }

  /** Markers in seq order. */
  markers(): Marker[] {
    return this.markerList.slice();
  }

  // -- applying ---------------------------------------------------------------------------------

  private apply(batch: unknown, fromStop: boolean): ApplyOutcome {
    const outcome = this.applyUnchecked(batch, fromStop);
    if (outcome.error !== undefined && outcome.error !== this.skewError) {
      this.rejectedCount++;
      this.lastRejection = outcome.error;
    }
    return outcome;
  }

  private applyUnchecked(batch: unknown, fromStop: boolean): ApplyOutcome {
    const read = readBatch(batch, this.pid);
    if ('rejected' in read) {
      if (read.skew) this.skewError = read.rejected;
      return { ok: false, error: read.rejected, applied: 0, ignored: 0 };
    }
    this.pid = read.pid;
    let applied = 0;
    let ignored = read.ignored;
    for (const event of read.events) {
      if (this.applyEvent(event, fromStop)) applied++;
      else ignored++;
    }
    this.enforceRetention();
    const outcome: ApplyOutcome = { ok: read.errors.length === 0, applied, ignored };
    if (read.errors.length > 0) {
      const more = read.errors.length > 1 ? ` (and ${read.errors.length - 1} more rejected events)` : '';
      outcome.error = `Rejected event: ${read.errors[0]}${more}`;
    }
    return outcome;
  }

  /** Returns whether the event changed the model. */
  private applyEvent(event: ParsedEvent, fromStop: boolean): boolean {
    if (Number.isFinite(event.t) && (this.clock === null || event.t > this.clock)) this.clock = event.t;
    switch (event.kind) {
      case 'hello': {
        const { pid, python, twisted, transport, protocolVersion } = event;
        this.runtime = { pid, python, twisted, transport, protocolVersion };
        return true;
      }
      case 'created':
      case 'changed': {
        const applied = this.applyState(event.deferred, event.seq, false);
        const entry = this.entries.get(event.deferred.id);
        if (entry && Number.isFinite(event.t) && (entry.changedAt === null || event.t > entry.changedAt)) entry.changedAt = event.t;
        return applied;
      }
      case 'collected':
        return this.applyCollected(event.id, {
          seq: event.seq,
          t: event.t,
          failure: event.unhandledFailure,
          firedAt: event.firedAt,
          final: event.final,
          finalUnknown: event.finalUnknown,
        });
      case 'counts':
        return this.setEphemeral(event.ephemeral, event.seq);
      case 'marker':
        return this.addMarker(event.name, event.seq);
      case 'dropped':
        if (event.total <= this.droppedTotal) return false;
        this.droppedTotal = event.total;
        return true;
      case 'snapshot':
        if (fromStop || event.frameNames !== null) this.setFrameNames(event.frameNames);
        return this.applySnapshot(event.deferreds, event.seq, event.t, event.ephemeral);
    }
  }

  private applyState(state: DeferredState, seq: number, fromSnapshot: boolean): boolean {
    const id = state.id;
    const entry = this.entries.get(id);
    if (entry) {
      if (seq <= entry.stateSeq) return false;
      // Ids are never reused, so a state newer than the collection is a contradiction: keep the tombstone.
      if (entry.collectedSeq !== null && seq > entry.collectedSeq) return false;
      const next = withDeathFire(state, entry.firedAtDeath);
      entry.stateSeq = seq;
      // A snapshot repeats most states the events already gave: those rows stay out of the delta
      // (only their lastSeq moves, which the webview does not show).
      if (sameJson(entry.state, next)) return true;
      entry.state = next;
      this.rebucket(id, entry);
      return true;
    }
    const known = this.forgotten.get(id);
    if (known) {
      if (seq <= known.stateSeq) return false;
      if (known.collectedSeq !== null) {
        if (seq > known.collectedSeq) return false;
      } else if (fromSnapshot && bucketOf(deriveStatus(state)) !== 'pending' && !this.frameNames?.has(id)) {
        // Evicted for retention and still settled: a snapshot must not undo the eviction.
        known.stateSeq = seq;
        return false;
      }
      this.forgotten.delete(id);
      this.insert(known.final ?? state, seq, known.collectedSeq, known.collectedAt, known.unhandledFailure, known.firedAtDeath);
      const inserted = this.entries.get(id)!;
      inserted.deathUnknown = !known.final && known.deathUnknown === true;
      // The state at death stands against older states still on their way.
      if (known.final) inserted.stateSeq = Math.max(seq, known.collectedSeq ?? seq);
      return true;
    }
    if (seq < this.latestSnapshotSeq) {
      // Unknown and absent from a newer snapshot: it was gone by then.
      this.collectedTotal++;
      this.insert(state, seq, this.latestSnapshotSeq, this.latestSnapshotAt, null);
      return true;
    }
    this.insert(state, seq, null, null, null);
    return true;
  }

  /** A collected event, or a snapshot that found the Deferred missing (see {@link noteDeath}). */
  private applyCollected(id: number, death: Death): boolean {
    const entry = this.entries.get(id);
    let target: Forgotten | Entry | undefined = entry ?? this.forgotten.get(id);
    if (target === undefined) {
      target = { stateSeq: -1, collectedSeq: null, collectedAt: null, unhandledFailure: null, firedAtDeath: null };
      this.forgotten.set(id, target);
    }
    if (target.collectedSeq == null) this.collectedTotal++;
    if (!noteDeath(target, death)) return false;
    if (entry) this.rebucket(id, entry);
    return true;
  }

  private applySnapshot(deferreds: DeferredState[], seq: number, t: number, ephemeral: number): boolean {
    const present = new Set<number>();
    let changed = false;
    for (const state of deferreds) {
      present.add(state.id);
      if (this.applyState(state, seq, true)) changed = true;
    }
    for (const source of [this.entries.entries(), this.forgotten.entries()]) {
      for (const [id, known] of source) {
        // A collected event alone (stateSeq -1) does not say the Deferred existed before this snapshot.
        const heardBefore = known.stateSeq >= 0 && known.stateSeq < seq;
        if (heardBefore && !present.has(id) && (known.collectedSeq === null || known.collectedSeq > seq)) {
          changed = this.applyCollected(id, { seq, t, failure: null, firedAt: null, final: null, finalUnknown: false }) || changed;
        }
      }
    }
    if (seq >= this.latestSnapshotSeq) {
      this.latestSnapshotSeq = seq;
      this.latestSnapshotAt = t;
    }
    return this.setEphemeral(ephemeral, seq) || changed;
  }

  /** The short-lived count of the latest event (snapshot or counts) that carried it. */
  private setEphemeral(ephemeral: number, seq: number): boolean {
    if (seq < this.ephemeralSeq || ephemeral === this.ephemeral) return false;
    this.ephemeralSeq = seq;
    this.ephemeral = ephemeral;
    return true;
  }

  private addMarker(name: string, seq: number): boolean {
    if (this.markerSeqs.has(seq)) return false;
    this.markerSeqs.add(seq);
    let at = this.markerList.length;
    while (at > 0 && this.markerList[at - 1].seq > seq) at--;
    this.markerList.splice(at, 0, { name, seq });
    return true;
  }

  // -- bookkeeping ------------------------------------------------------------------------------

  private insert(
    state: DeferredState,
    seq: number,
    collectedSeq: number | null,
    collectedAt: number | null,
    failure: FailureResult | null,
    firedAtDeath: number | null = null,
  ): void {
    const entry: Entry = {
      state: withDeathFire(state, firedAtDeath),
      stateSeq: seq,
      collectedSeq,
      collectedAt,
      unhandledFailure: failure,
      firedAtDeath,
      deathUnknown: false,
      bucket: 'pending',
      changedAt: null,
    };
    this.counts.pending++;
    this.entries.set(state.id, entry);
    this.rebucket(state.id, entry);
  }

  /** Moves an entry to the bucket its state now calls for, keeping counts and orders right. */
  private rebucket(id: number, entry: Entry): void {
    const bucket = entry.collectedSeq !== null ? 'collected' : bucketOf(deriveStatus(entry.state));
    this.invalidate(id);
    if (bucket === entry.bucket) return;
    this.leaveBucket(id, entry, bucket);
    entry.bucket = bucket;
    if (bucket !== 'collected') this.counts[bucket]++;
  }

  private leaveBucket(id: number, entry: Entry, to: Bucket | 'collected' | null): void {
    if (entry.bucket !== 'collected') this.counts[entry.bucket]--;
    this.eviction.move(id, placeOf(entry.bucket), to === null ? null : placeOf(to));
  }

  private enforceRetention(): void {
    const named = this.frameNames;
    for (const id of this.eviction.overflow('settled', this.opts.retainFired, named)) this.evict(id);
    for (const id of this.eviction.overflow('collected', this.opts.retainCollected, named)) this.evict(id);
  }

  private evict(id: number): void {
    const entry = this.entries.get(id)!;
    this.leaveBucket(id, entry, null);
    this.entries.delete(id);
    this.touched.add(id);
    const { stateSeq, collectedSeq, collectedAt, unhandledFailure, firedAtDeath } = entry;
    this.forgotten.set(id, { stateSeq, collectedSeq, collectedAt, unhandledFailure, firedAtDeath });
  }

  /** Marks a row for the next delta. */
  private invalidate(id: number): void {
    if (this.entries.has(id)) this.touched.add(id);
  }

  /**
   * Views are built when asked for, never kept: cached copies would double the memory of 10,000
   * live Deferreds and, surviving into the old generation, make every replaced one cost a
   * full garbage collection.
   */
  private viewOf(entry: Entry): DeferredView {
    const { state, collectedSeq } = entry;
    return buildView(state, this.frameNames?.get(state.id) ?? state.label, {
      collected: collectedSeq !== null,
      collectedAt: entry.collectedAt,
      unhandledFailure: entry.unhandledFailure,
      stateAtDeathUnknown: entry.deathUnknown,
      lastSeq: Math.max(entry.stateSeq, collectedSeq ?? -1),
      changedAt: entry.changedAt,
    });
  }
}

function placeOf(bucket: Bucket | 'collected'): Place {
  return bucket === 'fired' || bucket === 'failed' ? 'settled' : bucket;
}
