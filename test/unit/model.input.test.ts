// Bad input gets a clear error and loses nothing else: malformed batches and events, unknown
// kinds, hostile keys, another process, and protocol version skew.
import { describe, expect, it } from 'vitest';
import { batch, changed, created, fired, newModel, PID, pending, snapshot, summary } from './builders';

const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('malformed input', () => {
  it.each([
    ['a string', 'garbage', /batch: expected an object/],
    ['null', null, /batch: expected an object/],
    ['an array', [], /batch: expected an object/],
    ['no version', { pid: 1, batch: 1, events: [] }, /batch\.protocolVersion: expected a string/],
    ['a bad version', { protocolVersion: 'one', pid: 1, batch: 1, events: [] }, /"MAJOR\.MINOR"/],
    ['no events', { protocolVersion: '1.0', pid: 1, batch: 1 }, /batch\.events: expected an array/],
  ])('rejects a batch that is %s with a clear error', (_what, input, message) => {
    const model = newModel();
    const outcome = model.applyBatch(input);
    expect(outcome).toMatchObject({ ok: false, applied: 0 });
    expect(outcome.error).toMatch(message);
    expect(model.error).toBeNull();
  });

  it('rejects one malformed event by its path and applies the others', () => {
    const model = newModel();
    const bad = asJson(created(2, pending(2))) as { deferred: { called: unknown } };
    bad.deferred.called = 'yes';
    const outcome = model.applyBatch(batch(created(1, pending(1)), bad as never, created(3, pending(3))));
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatch(/event 1\.deferred\.called: expected a boolean, got a string \("yes"\)/);
    expect(outcome.applied).toBe(2);
    expect(model.views().map((v) => v.id)).toEqual([1, 3]);
    expect(model.rejected).toEqual({ count: 1, last: outcome.error });
  });

  it('rejects a state whose result contradicts hasResult', () => {
    const model = newModel();
    const outcome = model.applyBatch(batch(created(1, { ...fired(1, '3'), result: null })));
    expect(outcome.error).toMatch(/deferred\.result: expected a result since hasResult is true/);
    expect(model.get(1)).toBeUndefined();
  });

  it('rejects an unknown event kind of its own minor version but ignores one from a newer minor', () => {
    const model = newModel();
    const future = { kind: 'teleported', seq: 9, t: 9, where: 'mars' };
    expect(model.applyBatch(batch(future as never)).error).toMatch(/unknown event kind "teleported"/);
    const newer = { ...batch(future as never, created(1, pending(1))), protocolVersion: '1.7' };
    expect(model.applyBatch(newer)).toEqual({ ok: true, applied: 1, ignored: 1 });
  });

  it('keeps only the fields the protocol defines, so hostile keys never reach the view', () => {
    const model = newModel();
    const text = JSON.stringify(batch(created(1, pending(1)))).replace(
      '"type":"Deferred"',
      '"type":"Deferred","__proto__":{"polluted":1},"extra":2',
    );
    model.applyBatch(JSON.parse(text));
    const view = model.get(1)! as unknown as Record<string, unknown>;
    expect(view.extra).toBeUndefined();
    expect(view.polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads frame names keyed __proto__ as plain data', () => {
    const model = newModel();
    const text = JSON.stringify(batch(snapshot(1, [pending(1)], { frameNames: { '1': 'a' } }))).replace(
      '{"1":"a"}',
      '{"__proto__":"x","1":"a"}',
    );
    expect(model.applySnapshotBatch(JSON.parse(text)).ok).toBe(true);
    expect(model.get(1)!.name).toBe('a');
  });

  it('shows one process only: a batch from another pid is rejected', () => {
    const model = newModel();
    model.applyBatch(batch(created(1, pending(1))));
    const outcome = model.applyBatch({ ...batch(changed(2, fired(1, '5'))), pid: PID + 1 });
    expect(outcome.error).toMatch(/process 4243: this session shows process 4242/);
    expect(summary(model, 1)).toBe('pending N/A cbs=0');
  });

  it('never throws, whatever a batch holds', () => {
    const model = newModel();
    const template = asJson(batch(created(1, fired(1, '1')), snapshot(2, [pending(2)]))) as Record<string, unknown>;
    const junk = [null, undefined, 0, -1, 1.5, NaN, 'x', [], {}, true, 1e300];
    let seed = 1;
    const next = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    for (let round = 0; round < 2000; round++) {
      const copy = asJson(template) as Record<string, unknown>;
      let node: Record<string, unknown> = copy;
      for (let depth = 0; depth < 6; depth++) {
        const keys = Object.keys(node);
        const key = keys[Math.floor(next() * keys.length)];
        const child = node[key];
        if (typeof child !== 'object' || child === null || next() < 0.3) {
          node[key] = junk[Math.floor(next() * junk.length)];
          break;
        }
        node = child as Record<string, unknown>;
      }
      expect(() => model.applyBatch(copy)).not.toThrow();
    }
    expect(model.error).toBeNull();
  });
});

describe('protocol version skew', () => {
  it('refuses a future major version with a message saying what to update, and applies nothing', () => {
    const model = newModel();
    const outcome = model.applyBatch({ ...batch(created(1, pending(1))), protocolVersion: '2.0' });
    expect(outcome).toMatchObject({ ok: false, applied: 0 });
    expect(model.error).toMatch(/Unsupported event protocol 2\.0 \(this extension reads 1\.x\).*update the Deferred Graph extension/);
    expect(model.header().error).toBe(model.error);
    expect(model.views()).toEqual([]);
  });

  it('refuses an older major version, pointing at the runtime', () => {
    const model = newModel();
    model.applyBatch({ ...batch(created(1, pending(1))), protocolVersion: '0.9', pid: 'not checked' });
    expect(model.error).toMatch(/older than this extension: update the deferred_graph package/);
  });
});

describe('a pause counter below zero', () => {
  it('is a state Twisted really has (unpause() without pause()), read as not paused', () => {
    const model = newModel();
    const outcome = model.applyBatch(batch(created(1, pending(1, { paused: -1 }))));
    expect(outcome.error).toBeUndefined();
    expect(model.get(1)?.status).toBe('pending');
  });
});
