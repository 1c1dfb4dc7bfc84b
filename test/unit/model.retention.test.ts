// Bounded retention: at most retainFired settled and retainCollected collected Deferreds,
// oldest out first; pending and frame-named ones always kept; evicted ones stay evicted.
import { describe, expect, it } from 'vitest';
import { batch, changed, collected, created, failed, fired, newModel, pending, snapshot } from './builders';

const ids = (model: ReturnType<typeof newModel>) => model.views().map((v) => v.id);

describe('retention', () => {
  it('keeps the newest fired and failed Deferreds and every pending one', () => {
    const model = newModel({ retainFired: 2 });
    model.applyBatch(
      batch(
        created(1, pending(1)),
        created(2, fired(2, '2')),
        created(3, failed(3, 'E', 'x')),
        created(4, fired(4, '4')),
        created(5, pending(5)),
      ),
    );
    expect(ids(model)).toEqual([1, 3, 4, 5]);
    expect(model.header()).toMatchObject({ pending: 2, fired: 1, failed: 1 });
    model.takeDelta();
    model.applyBatch(batch(changed(6, fired(1, '1'))));
    expect(ids(model)).toEqual([1, 4, 5]);
    expect(model.takeDelta()).toMatchObject({ removed: [3] });
  });

  it('keeps the newest collected Deferreds and still counts every collection', () => {
    const model = newModel({ retainCollected: 1 });
    model.applyBatch(batch(created(1, pending(1)), created(2, pending(2)), collected(3, 1), collected(4, 2)));
    expect(ids(model)).toEqual([2]);
    expect(model.header().collected).toBe(2);
  });

  it('never evicts what a variable of the paused frame names', () => {
    const model = newModel({ retainFired: 1 });
    model.applySnapshotBatch(batch(snapshot(1, [fired(1, '1'), fired(2, '2'), fired(3, '3')], { frameNames: { '1': 'a' } })));
    expect(ids(model)).toEqual([1, 3]);
    model.setFrameNames(null);
    model.applyBatch(batch(changed(4, fired(4, '4'))));
    expect(ids(model)).toEqual([4]);
  });

  it('treats late events about an evicted Deferred as stale, but shows newer news', () => {
    const model = newModel({ retainFired: 1 });
    model.applyBatch(batch(created(1, pending(1)), changed(5, fired(1, '1')), created(6, fired(2, '2'))));
    expect(ids(model)).toEqual([2]);
    model.applyBatch(batch(changed(3, fired(1, 'old'))));
    expect(model.get(1)).toBeUndefined();
    model.applyBatch(batch(changed(7, { ...fired(1, '1'), paused: 1 })));
    expect(model.get(1)?.status).toBe('paused');
  });

  it('does not let a snapshot undo an eviction, but counts the evicted one gone when it is absent', () => {
    const model = newModel({ retainFired: 1 });
    model.applyBatch(batch(created(1, fired(1, '1')), created(2, fired(2, '2'))));
    model.applyBatch(batch(snapshot(3, [fired(1, '1'), fired(2, '2')])));
    expect(ids(model)).toEqual([2]);
    model.applyBatch(batch(snapshot(4, [fired(2, '2')])));
    expect(model.header().collected).toBe(1);
  });

  it('stays bounded under a stream of short-lived Deferreds', () => {
    const model = newModel({ retainFired: 100, retainCollected: 100 });
    let seq = 0;
    for (let id = 1; id <= 50_000; id++) {
      model.applyBatch(
        batch(created(++seq, pending(id)), changed(++seq, fired(id, String(id))), ...(id % 2 ? [collected(++seq, id)] : [])),
      );
    }
    expect(model.views().length).toBe(200);
    expect(model.header()).toMatchObject({ fired: 100, collected: 25_000, pending: 0 });
  });
});
