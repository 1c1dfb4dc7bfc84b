/**
 * The graph kept across a window reload (src/extension/lastSession.ts): a reload ends the
 * extension host and the debug session, so what the restored panel shows comes from this file.
 * The model is the real one; the session manager is reduced to the few members the store reads
 * (it needs VS Code, which the e2e reload scenario covers for real).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { capViews, LastSessionStore } from '../../src/extension/lastSession';
import type { SessionManager } from '../../src/extension/sessions';
import type { DeferredView, SessionSummary } from '../../src/protocol/protocol';
import { batch, fired, newModel, pending, snapshot, waitingOn } from './builders';

type Listener = () => void;

/** The members of SessionManager the store uses, around a real SessionModel. */
function liveSessions(activeId: string | null) {
  const listeners: Listener[] = [];
  const model = newModel({ sessionId: 'live-1' });
  const summary: SessionSummary = { id: 'live-1', name: 'Notebook', parentId: null, pid: 7, state: 'stopped', notice: null };
  const on = (listener: Listener) => {
    listeners.push(listener);
    return { dispose: () => listeners.splice(listeners.indexOf(listener), 1) };
  };
  const manager = {
    activeSessionId: activeId,
    get: (id: string) => (id === 'live-1' ? { model } : undefined),
    summaries: () => (activeId ? [summary] : []),
    onDidChangeGraph: on,
    onDidChangeSessions: on,
  };
  return {
    manager: manager as unknown as SessionManager,
    model,
    fire: () => {
      for (const l of listeners) l();
    },
  };
}

const warnings: string[] = [];
const log = { warn: (message: string) => warnings.push(message) } as never;
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dg-last-session-'));
  warnings.length = 0;
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A stopped session with a waiting on b, named from the frame, saved by a store that shuts down. */
function saveStoppedSession(): DeferredView[] {
  const live = liveSessions('live-1');
  live.model.applySnapshotBatch(batch(snapshot(1, [waitingOn(1, 2), pending(2), fired(3, '4')], { frameNames: { '1': 'a', '2': 'b' } })));
  const store = new LastSessionStore(dir, live.manager, log);
  live.fire();
  store.dispose();
  return live.model.views();
}

describe('LastSessionStore', () => {
  it('restores the saved graph in the next host as an ended session, never live', () => {
    const views = saveStoppedSession();
    const restored = new LastSessionStore(dir, liveSessions(null).manager, log).restored;
    expect(restored).not.toBeNull();
    expect(restored!.summary).toMatchObject({ id: 'live-1', name: 'Notebook', state: 'ended' });
    expect(restored!.summary.notice).toMatch(/previous window/);
    expect(restored!.header.sessionId).toBe('live-1');
    expect(restored!.deferreds).toEqual(views);
    expect(restored!.deferreds.map((v) => v.name)).toEqual(expect.arrayContaining(['a', 'b']));
  });

  it('writes at once when a quiet session changes (the state at a stop is on disk before any reload)', async () => {
    const live = liveSessions('live-1');
    const store = new LastSessionStore(dir, live.manager, log);
    live.model.applySnapshotBatch(batch(snapshot(1, [pending(1)], { frameNames: { '1': 'd' } })));
    live.fire();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'last-session.json'), 'utf8'));
    expect(saved.deferreds.map((v: DeferredView) => v.name)).toEqual(['d']);
    store.dispose();
  });

  it('drops the restored graph once a live session is active, so it cannot come back', () => {
    saveStoppedSession();
    const live = liveSessions('live-1');
    const store = new LastSessionStore(dir, live.manager, log);
    expect(store.restored).not.toBeNull();
    live.fire();
    expect(store.restored).toBeNull();
    store.dispose();
  });

  it('restores nothing from a missing, corrupt or foreign file, and says why for the last two', () => {
    expect(new LastSessionStore(dir, liveSessions(null).manager, log).restored).toBeNull();
    expect(warnings).toEqual([]);
    fs.writeFileSync(path.join(dir, 'last-session.json'), '{"format": 1, "summ');
    expect(new LastSessionStore(dir, liveSessions(null).manager, log).restored).toBeNull();
    fs.writeFileSync(path.join(dir, 'last-session.json'), JSON.stringify({ format: 99, summary: {}, deferreds: [] }));
    expect(new LastSessionStore(dir, liveSessions(null).manager, log).restored).toBeNull();
    expect(warnings).toHaveLength(2);
  });
});

describe('capViews', () => {
  it('keeps named and live Deferreds first, in their original order, and counts the rest', () => {
    const model = newModel();
    model.applySnapshotBatch(batch(snapshot(1, [pending(1), pending(2), pending(3), pending(4)], { frameNames: { '4': 'a', '2': 'b' } })));
    const views = model.views();
    const one = JSON.stringify(views[0]).length + 1;
    const { kept, omitted } = capViews(views, one * 2 + 5);
    expect(kept.map((text) => JSON.parse(text).name)).toEqual(['b', 'a']);
    expect(omitted).toBe(2);
    expect(capViews(views, 10_000_000).omitted).toBe(0);
  });
});
