// A collected Deferred's row is its state at death (protocol 1.3): the collected event's
// `final` replaces the last state read, whatever order the events arrive in; a death the
// runtime could not read says so; the short-lived count comes with the stream.
import { describe, expect, it } from 'vitest';
import { rowText, statusRow } from '../../src/model';
import { STATE_AT_DEATH_UNKNOWN } from '../../src/model/view';
import { batch, changed, collected, counts, created, failed, fired, newModel, pending, summary, withCallbacks } from './builders';

describe('state at death', () => {
  it('shows the final state a collected event carries, not the last one read', () => {
    const model = newModel();
    model.applyBatch(batch(created(1, withCallbacks(pending(1), 'on_done'))));
    model.applyBatch(batch(collected(2, 1, null, 1500, fired(1, '10'))));
    expect(summary(model, 1)).toBe('fired 10 cbs=0 collected');
    expect(rowText(model.get(1)!, (id) => model.get(id)).state).toBe('fired · collected');
  });

  it('keeps the final state when an older state arrives late, and whichever comes first', () => {
    const inOrder = newModel();
    const late = newModel();
    const stale = changed(2, withCallbacks(pending(1), 'a', 'b'));
    const death = collected(3, 1, null, 1500, failed(1, 'ValueError', 'boom'));
    inOrder.applyBatch(batch(created(1, pending(1)), stale, death));
    late.applyBatch(batch(death));
    late.applyBatch(batch(created(1, pending(1)), stale));
    for (const model of [inOrder, late]) expect(summary(model, 1)).toBe('failed ValueError cbs=0 collected');
    expect(late.views()).toEqual(inOrder.views());
  });

  it('says "state at death unknown" when the runtime could not read the change', () => {
    const model = newModel();
    model.applyBatch(batch(created(1, pending(1)), collected(2, 1, null, null, null, true)));
    const view = model.get(1)!;
    expect(view.stateAtDeathUnknown).toBe(true);
    expect(statusRow(view, (id) => model.get(id)).state).toBe(`pending · collected · ${STATE_AT_DEATH_UNKNOWN}`);
  });

  it('takes the short-lived count from counts events, the latest by seq', () => {
    const model = newModel();
    expect(model.applyBatch(batch(counts(5, 120), counts(3, 40)))).toMatchObject({ ok: true });
    expect(model.header().ephemeral).toBe(120);
  });
});
