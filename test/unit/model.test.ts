// The chain model's basic reduction: states, derived status and names, header counts, deltas
// and markers, told as the notebook's Experiment 3 (a's callback returns b).
import { describe, expect, it } from 'vitest';
import { statusTable } from '../../src/cli/table';
import { displayName, rowText, statusRow } from '../../src/model';
import {
  batch,
  changed,
  collected,
  continues,
  created,
  dropped,
  failed,
  fired,
  marker,
  newModel,
  pending,
  snapshot,
  summary,
  waitingOn,
  withCallbacks,
} from './builders';

describe('SessionModel reduction', () => {
  it('follows Experiment 3.a: a waits on b, then b fires and its result is consumed', () => {
    const model = newModel();
    const a = withCallbacks(pending(1), 'b_callback', 'on_done');
    expect(model.applyBatch(batch(created(1, a), created(2, pending(2))))).toEqual({ ok: true, applied: 2, ignored: 0 });
    expect(summary(model, 1)).toBe('pending N/A cbs=2');
    expect(summary(model, 2)).toBe('pending N/A cbs=0');

    model.applyBatch(batch(changed(3, { ...waitingOn(1, 2), callbacks: [] }), changed(4, { ...pending(2), callbacks: [continues(1)] })));
    expect(summary(model, 1)).toBe('waiting #2 cbs=0');
    expect(model.get(1)!.waitingOn).toBe(2);
    expect(summary(model, 2)).toBe('pending N/A cbs=1');

    model.applyBatch(batch(changed(5, fired(1, '4')), changed(6, fired(2, 'None'))));
    expect(summary(model, 1)).toBe('fired 4 cbs=0');
    expect(summary(model, 2)).toBe('fired None cbs=0');
  });

  it('derives failed and paused, and counts pending (with paused and waiting), fired and failed in the header', () => {
    const model = newModel();
    model.applyBatch(
      batch(
        created(1, pending(1)),
        created(2, fired(2, '1')),
        created(3, failed(3, 'ValueError', 'boom')),
        created(4, { ...fired(4, '2'), paused: 1 }),
        created(5, waitingOn(5, 1)),
      ),
    );
    expect(model.views().map((v) => v.status)).toEqual(['pending', 'fired', 'failed', 'paused', 'waiting']);
    expect(model.header()).toMatchObject({ sessionId: 's1', pending: 3, fired: 1, failed: 1, collected: 0, error: null });
  });

  it('marks a collected Deferred, keeps its last state and reports an unhandled Failure', () => {
    const model = newModel();
    model.applyBatch(batch(created(1, failed(1, 'ValueError', 'boom')), collected(2, 1, 'boom')));
    const view = model.get(1)!;
    expect(view).toMatchObject({ collected: true, collectedAt: 2, status: 'failed', lastSeq: 2 });
    expect(view.unhandledFailure).toMatchObject({ excType: 'ValueError', message: 'boom' });
    expect(model.header()).toMatchObject({ failed: 0, collected: 1 });
  });

  it('shows a Deferred that fired and died between two drains as fired, in either arrival order', () => {
    const inOrder = newModel();
    inOrder.applyBatch(batch(created(1, pending(1)), collected(2, 1, null, 1234)));
    expect(inOrder.get(1)).toMatchObject({ status: 'fired', called: true, firedAt: 1234, collected: true });

    const reversed = newModel();
    reversed.applyBatch(batch(collected(2, 1, null, 1234)));
    reversed.applyBatch(batch(created(1, pending(1))));
    expect(reversed.get(1)).toMatchObject({ status: 'fired', called: true, firedAt: 1234, collected: true });

    const neverFired = newModel();
    neverFired.applyBatch(batch(created(1, pending(1)), collected(2, 1)));
    expect(neverFired.get(1)).toMatchObject({ status: 'pending', called: false, collected: true });
  });

  it('names a Deferred after the frame variable, else its label(), else nothing', () => {
    const model = newModel();
    model.applyBatch(batch(created(1, pending(1)), created(2, pending(2, { label: 'install' })), created(3, pending(3))));
    model.applySnapshotBatch(
      batch(snapshot(4, [pending(1), pending(2, { label: 'install' }), pending(3)], { frameNames: { '1': 'a', '2': 'b' } })),
    );
    expect(model.views().map((v) => v.name)).toEqual(['a', 'b', null]);
    expect(displayName(model.get(3)!)).toBe('Deferred #3');

    model.setFrameNames(null);
    expect(model.views().map((v) => v.name)).toEqual([null, 'install', null]);
  });

  it('hands out each change once through takeDelta, including renamed rows', () => {
    const model = newModel();
    model.applyBatch(batch(created(1, pending(1)), created(2, pending(2))));
    expect(model.takeDelta().upserts.map((v) => v.id)).toEqual([1, 2]);
    expect(model.takeDelta()).toEqual({ upserts: [], removed: [] });

    model.applyBatch(batch(changed(3, fired(2, '7'))));
    model.setFrameNames({ '1': 'a' });
    const delta = model.takeDelta();
    expect(delta.upserts.map((v) => [v.id, v.name, v.status])).toEqual([
      [2, null, 'fired'],
      [1, 'a', 'pending'],
    ]);
  });

  it('leaves out of the delta what a snapshot at a stop repeats: same state, same name', () => {
    const model = newModel();
    model.applyBatch(batch(created(1, pending(1)), created(2, pending(2)), created(3, pending(3))));
    model.takeDelta();
    model.applySnapshotBatch(batch(snapshot(4, [pending(1), pending(2), pending(3)], { frameNames: { '1': 'a', '2': 'b' } })));
    expect(model.takeDelta().upserts.map((v) => [v.id, v.name])).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);

    // The next stop: 2 fired, 1 keeps its name, 2 is now called c, 3 is still pending and unnamed.
    model.applySnapshotBatch(batch(snapshot(5, [pending(1), fired(2, '7'), pending(3)], { frameNames: { '1': 'a', '2': 'c' } })));
    expect(model.takeDelta().upserts.map((v) => [v.id, v.name, v.status])).toEqual([[2, 'c', 'fired']]);
    model.applySnapshotBatch(batch(snapshot(6, [pending(1), fired(2, '7'), pending(3)], { frameNames: { '2': 'c' } })));
    expect(model.takeDelta().upserts.map((v) => [v.id, v.name])).toEqual([[1, null]]);
    expect(model.get(3)).toMatchObject({ lastSeq: 6, status: 'pending' });
  });

  it('keeps markers in seq order and the latest as the header marker', () => {
    const model = newModel();
    model.applyBatch(batch(marker(5, 'second')));
    model.applyBatch(batch(marker(2, 'first'), marker(5, 'second')));
    expect(model.markers()).toEqual([
      { name: 'first', seq: 2 },
      { name: 'second', seq: 5 },
    ]);
    expect(model.header().lastMarker).toBe('second');
  });

  it('shows dropped events from the running total and ephemeral Deferreds from the latest snapshot', () => {
    const model = newModel();
    model.applyBatch(batch(dropped(3, 10, 10), snapshot(4, [], { ephemeral: 7 })));
    model.applyBatch(batch(dropped(9, 5, 15)));
    model.applyBatch(batch(dropped(3, 10, 10)));
    expect(model.header()).toMatchObject({ dropped: 15, ephemeral: 7 });
  });

  it('records the runtime the hello event describes', () => {
    const model = newModel();
    model.applyBatch(
      batch({
        kind: 'hello',
        seq: 0,
        t: 0,
        protocolVersion: '1.0',
        pid: 4242,
        python: '3.11.2',
        twisted: '22.4.0',
        argv: ['x.py'],
        transport: 'dap',
      }),
    );
    expect(model.runtimeInfo).toEqual({ pid: 4242, python: '3.11.2', twisted: '22.4.0', transport: 'dap', protocolVersion: '1.0' });
  });

  it('turns a view into the status row the CLI prints, in the words the panel shows', () => {
    const model = newModel();
    model.applyBatch(
      batch(created(1, withCallbacks(fired(1, "'x'"), 'on_done')), created(2, waitingOn(2, 1)), created(3, failed(3, 'KeyError', "'k'"))),
    );
    const lookup = (id: number) => model.get(id);
    expect(statusRow(model.get(1)!, lookup)).toMatchObject({
      label: 'Deferred #1',
      hasResult: true,
      result: "'x'",
      resultDeferred: null,
      callbacks: 1,
      called: true,
    });
    expect(statusRow(model.get(2)!, lookup)).toMatchObject({
      result: null,
      resultDeferred: 1,
      resultText: '→ #1',
      state: 'waiting on Deferred #1',
      waitingOn: 1,
      paused: 1,
    });
    expect(statusRow(model.get(3)!, lookup)).toMatchObject({
      result: null,
      failure: { excType: 'KeyError', message: "'k'" },
      resultText: "KeyError: 'k'",
      state: 'failed',
      unhandledNow: true, // a Failure and no errback left
    });
    expect(statusRow(model.get(1)!, lookup).unhandledNow).toBe(false);
    expect(statusTable([statusRow(model.get(3)!, lookup)])).toContain('failed · unhandled now');
    for (const id of [1, 2, 3]) {
      const { label, state, result } = rowText(model.get(id)!, lookup);
      expect(statusRow(model.get(id)!, lookup)).toMatchObject({ label, state, resultText: result });
    }
  });

  it('words a row once: names, subclasses, Failures with and without a message, what it waits on', () => {
    const model = newModel();
    model.applyBatch(
      batch(
        created(1, pending(1, { type: 'DeferredList', members: [2] })),
        created(2, failed(2, 'twisted.internet.defer.CancelledError', '')),
        created(3, waitingOn(3, 4)),
        created(4, pending(4, { label: 'install', cancelled: true })),
      ),
    );
    const lookup = (id: number) => model.get(id);
    expect([1, 2, 3, 4].map((id) => rowText(model.get(id)!, lookup))).toEqual([
      { label: 'Deferred #1 (DeferredList)', meta: '', state: 'pending', result: 'N/A', callbacks: '0' },
      { label: 'Deferred #2', meta: '', state: 'failed', result: 'twisted.internet.defer.CancelledError', callbacks: '0' },
      { label: 'Deferred #3', meta: '', state: 'waiting on install (#4)', result: '→ #4', callbacks: '0' },
      { label: 'install', meta: '#4', state: 'pending · cancelled', result: 'N/A', callbacks: '0' },
    ]);
  });
});
