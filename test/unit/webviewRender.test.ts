// @vitest-environment happy-dom
/**
 * The webview draws the notebook's status(a, b) from the host's messages: labels, result or
 * N/A, callback counts, the nesting of chains, DeferredLists and coroutines, live deltas
 * coalesced per frame, full state, sessions and the header.
 */
import { describe, expect, it } from 'vitest';
import {
  callbackPair,
  continues,
  failed,
  firedView,
  header,
  init,
  mount,
  outline,
  pendingView,
  RecordingHost,
  rows,
  SESSION,
  view,
  waitingOn,
} from './builders';

/** Experiment 3 after `a.callback(1)`: b_callback returned the unfired b, so a waits on b. */
function experiment3Waiting() {
  const a = view(waitingOn(1, 2), { name: 'a', callbacks: [callbackPair('on_done', 90)] });
  const b = pendingView(2, { name: 'b', callbacks: [continues(1)] });
  return [a, b];
}

describe('webview rendering from messages', () => {
  it('shows each Deferred as status() prints it: label, result or N/A, callback count', () => {
    const { root, send } = mount();
    send(
      init([
        firedView(1, "'hello'", { name: 'd1' }),
        pendingView(2, { label: 'login', callbacks: [callbackPair('f'), callbackPair('g')] }),
        pendingView(3),
      ]),
    );
    expect(outline(root)).toEqual(["d1 | 'hello' | 0", 'login | N/A | 2', 'Deferred #3 | N/A | 0']);
    const [first, second] = rows(root);
    expect(first.state).toBe('fired');
    expect(second.state).toBe('pending');
  });

  it('nests b under a while a waits on it (Experiment 3), and un-nests it once b fired', () => {
    const { root, send, runFrames } = mount();
    send(init(experiment3Waiting()));
    expect(outline(root)).toEqual(['a | → #2 | 1', '  b | N/A | 1']);
    expect(rows(root)[0].state).toBe('waiting on b (#2)');

    // b.callback(2): a resumes, on_done consumes the result and b.result becomes None.
    send({
      type: 'delta',
      sessionId: 's1',
      header: header({ fired: 2 }),
      upserts: [firedView(1, '2', { name: 'a' }), firedView(2, 'None', { name: 'b' })],
      removed: [],
    });
    expect(runFrames()).toBe(1);
    expect(outline(root)).toEqual(['a | 2 | 0', 'b | None | 0']);
  });

  it('shows a DeferredList with its members nested, and a failed member as a Failure', () => {
    const { root, send } = mount();
    send(
      init([
        pendingView(10, { type: 'DeferredList', members: [11, 12], name: 'dl' }),
        firedView(11, '1'),
        view(failed(12, 'ValueError', 'boom')),
      ]),
    );
    expect(outline(root)).toEqual(['dl | N/A | 0', '  Deferred #11 | 1 | 0', '  Deferred #12 | ValueError: boom | 0']);
    expect(root.querySelector('[data-key="d11"] .badge')?.textContent).toBe('member');
  });

  it('shows an inlineCallbacks Deferred with its function and what it awaits nested', () => {
    const { root, send } = mount();
    const coroutine = {
      kind: 'inlineCallbacks' as const,
      name: 'install_wordpress',
      file: '/x/tale4.py',
      line: 20,
      finished: false,
      waitingOn: 31,
    };
    send(
      init([pendingView(30, { coroutine }), pendingView(31, { timer: { callAt: 3, delay: 1.5, function: 'deferLater', active: true } })]),
    );
    const [outer, inner] = rows(root).filter((r) => r.label);
    expect(outer.text).toContain('@inlineCallbacks install_wordpress()');
    expect(outer.state).toBe('pending — awaiting Deferred #31');
    expect(inner.level).toBe(2);
    expect(inner.label).toBe('Deferred #31');
  });

  it('draws a Deferred reachable twice once, with a reference elsewhere, and survives a cycle', () => {
    const { root, send } = mount();
    send(
      init([
        pendingView(1, { type: 'DeferredList', members: [3] }),
        pendingView(2, { type: 'DeferredList', members: [3] }),
        pendingView(3),
        pendingView(4, { waitingOn: 5 }),
        pendingView(5, { waitingOn: 4 }),
      ]),
    );
    const all = rows(root).filter((r) => !r.key.includes('.'));
    expect(all.map((r) => r.key)).toEqual(['d1', 'd3', 'd2', 'd2>3', 'd4', 'd5', 'd5>4']);
    expect(root.querySelector('[data-key="d2>3"]')?.textContent).toContain('see Deferred #3 (shown elsewhere)');
  });

  it('coalesces many deltas into one draw per frame and applies removals', () => {
    const { root, send, runFrames } = mount();
    send(init([pendingView(1), pendingView(2), pendingView(3)]));
    for (let i = 0; i < 50; i++) {
      send({
        type: 'delta',
        sessionId: 's1',
        header: header({ pending: 3 }),
        upserts: [pendingView(1, { callbacks: Array(i % 5).fill(callbackPair('x')) })],
        removed: [],
      });
    }
    send({ type: 'delta', sessionId: 's1', header: header({ pending: 2 }), upserts: [pendingView(4)], removed: [2] });
    expect(outline(root)).toEqual(['Deferred #1 | N/A | 0', 'Deferred #2 | N/A | 0', 'Deferred #3 | N/A | 0']);
    expect(runFrames()).toBe(1);
    expect(outline(root)).toEqual(['Deferred #1 | N/A | 4', 'Deferred #3 | N/A | 0', 'Deferred #4 | N/A | 0']);
    expect(root.querySelector('[data-count="pending"]')?.textContent).toBe('2 pending');
  });

  it('spaces out costly rebuilds from live data, but never one the user asked for', () => {
    // now(): the empty first draw takes no time, init's rebuild 0→10 ms; the next frames come
    // at 12 (too soon after it) and 25; that rebuild takes 10 ms too; the search comes at 36.
    const { root, send, runFrames, frames } = mount(undefined, [0, 0, 0, 10, 12, 25, 25, 35, 36]);
    send(init([pendingView(1)]));
    // Deferred 1 now waits on a new one: the tree's shape changes, a rebuild is needed.
    const upserts = [pendingView(2), pendingView(1, { waitingOn: 2 })];
    send({ type: 'delta', sessionId: 's1', header: header(), upserts, removed: [] });
    expect(runFrames()).toBe(1);
    expect(outline(root).length).toBe(1);
    expect(frames.length).toBe(1);
    runFrames();
    expect(outline(root).length).toBe(2);
    // The rebuild was slow again, but a search is drawn on the very next frame.
    const search = root.querySelector<HTMLInputElement>('input.search')!;
    search.value = '#1';
    search.dispatchEvent(new Event('input'));
    runFrames();
    expect(outline(root)).toEqual(['Deferred #1 | N/A | 0']);
  });

  it('keeps a bounded backlog when frames stop (a hidden webview) and still ends exact', () => {
    const { root, send, runFrames, app } = mount();
    send(init([pendingView(1), pendingView(2)]));
    const pending = () => app.rowModel.pendingUpdates;
    let most = 0;
    for (let round = 1; round <= 30; round++) {
      const upserts = Array.from({ length: 2000 }, (_, i) =>
        pendingView(1 + (i % 2), { callbacks: Array(round % 4).fill(callbackPair('x')) }),
      );
      send({ type: 'delta', sessionId: 's1', header: header(), upserts, removed: [] });
      most = Math.max(most, pending());
    }
    expect(most).toBeLessThanOrEqual(50_000);
    runFrames();
    expect(outline(root)).toEqual(['Deferred #1 | N/A | 2', 'Deferred #2 | N/A | 2']);
  });

  it('ignores deltas for another session and replaces everything on full', () => {
    const { root, send, runFrames } = mount();
    send(init([pendingView(1)]));
    send({ type: 'delta', sessionId: 'other', header: header(), upserts: [pendingView(9)], removed: [] });
    runFrames();
    expect(outline(root)).toEqual(['Deferred #1 | N/A | 0']);
    send({ type: 'full', sessionId: 's1', header: header({ fired: 1 }), deferreds: [firedView(7, '42')] });
    expect(outline(root)).toEqual(['Deferred #7 | 42 | 0']);
  });

  it('shows a session picker when there are several sessions and posts selectSession', () => {
    const { root, send, host } = mount();
    const child = { ...SESSION, id: 's2', name: 'worker', parentId: 's1', pid: 99 };
    send(init([pendingView(1)]));
    const picker = root.querySelector<HTMLSelectElement>('select.session-picker')!;
    expect(picker.hidden).toBe(true);
    send({ type: 'sessions', sessions: [SESSION, child], activeSessionId: 's1' });
    expect(picker.hidden).toBe(false);
    expect([...picker.options].map((o) => o.textContent)).toEqual(['notebook.py (pid 4242)', '↳ worker (pid 99)']);
    picker.value = 's2';
    picker.dispatchEvent(new Event('change'));
    expect(host.posted.at(-1)).toEqual({ type: 'selectSession', sessionId: 's2' });
    // The host switches: the old session's rows go until its full state arrives.
    send({ type: 'sessions', sessions: [SESSION, child], activeSessionId: 's2' });
    expect(rows(root)).toEqual([]);
  });

  it('shows counts, dropped events, the session notice and a protocol error in the header', () => {
    const { root, send } = mount();
    const notice = 'attach session: not instrumented — add `import deferred_graph; deferred_graph.install()` to the program';
    send(
      init([], {
        sessions: [{ ...SESSION, notice }],
        header: header({
          pending: 3,
          fired: 5,
          failed: 1,
          collected: 7,
          dropped: 120,
          ephemeral: 40,
          error: 'protocol 2.0 is newer than this extension (1.x)',
        }),
      }),
    );
    const text = (sel: string) => root.querySelector(sel)?.textContent;
    expect([
      text('[data-count="pending"]'),
      text('[data-count="fired"]'),
      text('[data-count="failed"]'),
      text('[data-count="collected"]'),
    ]).toEqual(['3 pending', '5 fired', '1 failed', '7 collected']);
    expect(text('.dropped')).toBe('120 events dropped');
    expect(text('[data-count="ephemeral"]')).toBe('40 short-lived');
    expect(text('.notice')).toBe(notice);
    expect(text('.error')).toBe('protocol 2.0 is newer than this extension (1.x)');
    expect(root.querySelector('.error')?.getAttribute('role')).toBe('alert');
  });

  it('says so when a message is malformed or the webview protocol version differs', () => {
    const { root, send, runFrames } = mount();
    send({ type: 'delta', upserts: 'nope' });
    send(null);
    runFrames();
    expect(root.querySelector('.error')?.textContent).toBe('Ignored 2 malformed messages from the extension.');
    send(init([pendingView(1)], { version: 99 }));
    expect(root.querySelector('.error')?.textContent).toContain('webview protocol 99');
    expect(outline(root)).toEqual(['Deferred #1 | N/A | 0']);
  });

  it('posts ready on start and renders the init the host sends back through window messages', async () => {
    const { app, host, root } = mount();
    app.start(window);
    expect(host.posted).toEqual([{ type: 'ready', version: 1 }]);
    window.postMessage(init([firedView(1, "'x'", { name: 'a' })]), '*');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(outline(root)).toEqual(["a | 'x' | 0"]);
  });

  it("boots from main.ts on #app with VS Code's acquireVsCodeApi and says ready", async () => {
    const host = new RecordingHost();
    const g = globalThis as { acquireVsCodeApi?: () => RecordingHost };
    g.acquireVsCodeApi = () => host;
    document.body.replaceChildren(Object.assign(document.createElement('div'), { id: 'app' }));
    try {
      await import('../../webview/main');
      expect(host.posted).toEqual([{ type: 'ready', version: 1 }]);
      expect(document.querySelector('#app > header.header')).not.toBeNull();
      expect(document.querySelector('#app > [role="tree"]')).not.toBeNull();
    } finally {
      delete g.acquireVsCodeApi;
    }
  });
});
