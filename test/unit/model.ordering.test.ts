// Arrival order must not matter: the model decides from each event's seq. Hand-told cases
// first, then random runtimes whose batches are shuffled and duplicated.
import { describe, expect, it } from 'vitest';
import type { SessionModel } from '../../src/model';
import type { Batch, DeferredState, RuntimeEvent } from '../../src/protocol/protocol';
import { batch, changed, collected, created, fired, marker, newModel, pending, snapshot, summary, withCallbacks } from './builders';

describe('out-of-order and duplicate batches', () => {
  it('keeps the state of the highest-seq event whatever arrives last', () => {
    const model = newModel();
    model.applyBatch(batch(changed(5, fired(1, '3'))));
    const outcome = model.applyBatch(batch(created(1, pending(1)), changed(3, withCallbacks(pending(1), 'cb'))));
    expect(outcome).toEqual({ ok: true, applied: 0, ignored: 2 });
    expect(summary(model, 1)).toBe('fired 3 cbs=0');
  });

  it('never resurrects a collected Deferred from an older state arriving late', () => {
    const model = newModel();
    model.applyBatch(batch(created(1, pending(1)), collected(4, 1)));
    model.applyBatch(batch(changed(2, fired(1, '9'))));
    expect(summary(model, 1)).toBe('fired 9 cbs=0 collected');
    expect(model.header()).toMatchObject({ pending: 0, fired: 0, collected: 1 });
  });

  it('shows a Deferred whose collection arrived before its creation as collected', () => {
    const model = newModel();
    model.applyBatch(batch(collected(7, 1, 'lost')));
    expect(model.get(1)).toBeUndefined();
    model.applyBatch(batch(created(2, failed1())));
    expect(model.get(1)).toMatchObject({ collected: true, status: 'failed', unhandledFailure: { message: 'lost' } });
    expect(model.header().collected).toBe(1);
  });

  it('treats a snapshot as authoritative: absent ones are gone, older events are stale', () => {
    const model = newModel();
    model.applyBatch(batch(created(1, pending(1)), created(2, pending(2)), created(12, pending(3))));
    model.applyBatch(batch(snapshot(10, [fired(1, '1')])));
    expect(summary(model, 1)).toBe('fired 1 cbs=0');
    expect(summary(model, 2)).toBe('pending N/A cbs=0 collected');
    expect(summary(model, 3)).toBe('pending N/A cbs=0');
    model.applyBatch(batch(changed(8, withCallbacks(pending(1), 'late')), created(9, pending(4))));
    expect(summary(model, 1)).toBe('fired 1 cbs=0');
    expect(summary(model, 4)).toBe('pending N/A cbs=0 collected');
  });

  it('applies a duplicate snapshot idempotently', () => {
    const model = newModel();
    const snap = batch(snapshot(10, [pending(1), fired(2, '5')], { ephemeral: 3 }));
    model.applyBatch(snap);
    const before = JSON.stringify([model.views(), model.header()]);
    model.takeDelta();
    expect(model.applyBatch(snap)).toEqual({ ok: true, applied: 0, ignored: 1 });
    expect(JSON.stringify([model.views(), model.header()])).toBe(before);
    expect(model.takeDelta()).toEqual({ upserts: [], removed: [] });
  });
});

function failed1(): DeferredState {
  return {
    ...fired(1, ''),
    result: { kind: 'failure', excType: 'ValueError', message: 'lost', truncated: false, frames: [], raisedBy: null },
  };
}

/** A deterministic PRNG (mulberry32), so a failing seed can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A toy runtime with the real emitter's habits: changes are coalesced per Deferred until a
 * drain, Deferreds born and dead between drains are only counted, snapshots carry the current
 * state of every live Deferred. Returns its batches and the truth at the end.
 */
function simulate(seed: number): { batches: Batch[]; live: Map<number, DeferredState>; dead: Set<number> } {
  const random = rng(seed);
  const live = new Map<number, DeferredState>();
  const reported = new Set<number>();
  const dirty = new Set<number>();
  const dead = new Set<number>();
  const pendingEvents: RuntimeEvent[] = [];
  const batches: Batch[] = [];
  let seq = 0;
  let nextId = 1;
  let ephemeral = 0;
  const drain = () => {
    for (const id of dirty) {
      pendingEvents.push(reported.has(id) ? changed(++seq, live.get(id)!) : created(++seq, live.get(id)!));
      reported.add(id);
    }
    dirty.clear();
    while (pendingEvents.length > 0) batches.push(batch(...pendingEvents.splice(0, 1 + Math.floor(random() * 4))));
  };
  for (let step = 0; step < 300; step++) {
    const ids = [...live.keys()];
    const pick = ids[Math.floor(random() * ids.length)];
    const roll = random();
    if (roll < 0.3 || ids.length === 0) {
      const id = nextId++;
      live.set(id, pending(id));
      dirty.add(id);
    } else if (roll < 0.55) {
      const state = live.get(pick)!;
      live.set(pick, state.called ? state : withCallbacks(state, ...state.callbacks.map((c) => c.callback!.name), `cb${step}`));
      dirty.add(pick);
    } else if (roll < 0.7) {
      live.set(pick, fired(pick, String(step)));
      dirty.add(pick);
    } else if (roll < 0.82) {
      live.delete(pick);
      dirty.delete(pick);
      if (reported.has(pick)) {
        pendingEvents.push(collected(++seq, pick));
        dead.add(pick);
      } else ephemeral++;
    } else if (roll < 0.9) {
      pendingEvents.push(snapshot(++seq, [...live.values()], { ephemeral }));
      for (const id of live.keys()) reported.add(id);
      for (const id of [...reported]) if (!live.has(id)) dead.add(id);
    } else if (roll < 0.95) {
      pendingEvents.push(marker(++seq, `m${step}`));
    } else drain();
  }
  drain();
  return { batches, live, dead };
}

/** Differences between two models, one line per Deferred, so a failure names the culprit. */
function differences(actual: SessionModel, expected: SessionModel): string[] {
  const out: string[] = [];
  const ids = new Set([...actual.views(), ...expected.views()].map((v) => v.id));
  for (const id of ids) {
    const [a, e] = [JSON.stringify(actual.get(id) ?? null), JSON.stringify(expected.get(id) ?? null)];
    if (a !== e) out.push(`#${id}: got ${a}\n   want ${e}`);
  }
  const [ah, eh] = [JSON.stringify([actual.header(), actual.markers()]), JSON.stringify([expected.header(), expected.markers()])];
  if (ah !== eh) out.push(`header: got ${ah}\n   want ${eh}`);
  return out;
}

describe('random runtimes delivered in any order', () => {
  for (let seed = 1; seed <= 40; seed++) {
    it(`seed ${seed}: shuffled and duplicated batches give the in-order result, which is the truth`, () => {
      const { batches, live, dead } = simulate(seed);
      const inOrder = newModel();
      for (const b of batches) expect(inOrder.applyBatch(b).ok).toBe(true);
      for (const [id, state] of live) expect(inOrder.get(id)).toMatchObject({ ...state, collected: false });
      for (const id of dead) expect(inOrder.get(id)?.collected).toBe(true);

      const random = rng(seed * 7919);
      const shuffled = batches.concat(batches.filter(() => random() < 0.3));
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      const outOfOrder = newModel();
      for (const b of shuffled) expect(outOfOrder.applyBatch(b).ok).toBe(true);
      expect(differences(outOfOrder, inOrder).slice(0, 3)).toEqual([]);
    });
  }
});
