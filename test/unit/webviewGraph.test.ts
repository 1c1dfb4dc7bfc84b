// @vitest-environment happy-dom
/**
 * The graph view in the app: the header toggle and the `show` message switch to it, nodes are
 * elements with `data-deferred-id` and an accessible name, hostile labels stay text, the
 * selection is shared with the tree both ways, a location click asks the host to open it, the
 * roots of waits (thread job, connection...) are nodes of their own kind with typed edges and
 * orphans are marked, live updates rewrite them in place and the SVG export has them, and
 * 10,000 Deferreds (collapsed) and live updates stay cheap.
 */
import { describe, expect, it } from 'vitest';
import type { BlockedBy, DeferredView } from '../../src/protocol/protocol';
import { experiment3a, firedView, header, init, mount, pendingView } from './builders';

const XSS = '<img src=x onerror=alert(1)>';

const withHostile = (): DeferredView[] => [...experiment3a(), firedView(3, 'None', { name: XSS })];

function graphMode(deferreds: DeferredView[]) {
  const m = mount();
  m.send(init(deferreds));
  m.root.querySelector<HTMLButtonElement>('.mode-graph')!.click();
  m.runFrames();
  return m;
}

const nodes = (root: HTMLElement) => [...root.querySelectorAll<SVGGElement>('g.node')];

const wait = (kind: string, text: string, ids: number[], line?: number): BlockedBy => ({
  kind,
  text,
  ids,
  location: line ? { file: '/srv/jobs.py', line, function: 'fetch' } : null,
});

/** A job on a worker thread, a client's connection, and a callback's Deferred nobody can fire. */
function waits(jobText = 'fetch(url) running on worker 1'): DeferredView[] {
  return [
    pendingView(1, { name: 'job', blockedBy: wait('thread', jobText, []), root: wait('thread', jobText, [1], 12) }),
    pendingView(2, {
      name: 'poem',
      blockedBy: wait('connection', 'PoetryClientFactory → 127.0.0.1:10000 · connecting', []),
      root: wait('connection', 'PoetryClientFactory → 127.0.0.1:10000 · connecting', [2]),
    }),
    pendingView(3, {
      name: 'outer',
      waitingOn: 4,
      called: true,
      blockedBy: wait('deferred', 'chained', [4]),
      root: wait('orphan', 'x', [3, 4]),
    }),
    pendingView(4, {
      name: 'inner',
      blockedBy: wait('orphan', 'nothing can fire it: only its waiters refer to it', []),
      root: wait('orphan', 'nothing can fire it: only its waiters refer to it', [4]),
    }),
    pendingView(5, {
      name: 'gate',
      blockedBy: wait('unknown', 'held by __main__.gates[0]', []),
      root: wait('unknown', 'held by __main__.gates[0]', [5]),
    }),
  ];
}

function wholeGraph(deferreds: DeferredView[]) {
  const m = graphMode(deferreds);
  m.root.querySelector<HTMLInputElement>('.graph-tools input[type="checkbox"]')!.click();
  m.runFrames();
  return m;
}

describe('the roots of waits in the graph', () => {
  it('draws a thread job and a connection as nodes of their own, with "fired by" and "held by" edges', () => {
    const { root } = wholeGraph(waits());
    const job = root.querySelector<SVGGElement>('g.node[data-root-of="1"]')!;
    expect(job.dataset.rootKind).toBe('thread');
    expect(job.dataset.deferredId).toBeUndefined();
    expect(job.classList.contains('node-thread')).toBe(true);
    expect(job.getAttribute('role')).toBe('option');
    // The words of the row's "why" line (viewWhy.ts): the kind, the runtime's phrase, the place.
    expect(job.getAttribute('aria-label')).toBe('thread fetch(url) running on worker 1, jobs.py:12');
    expect(job.querySelector('.node-label')!.textContent).toBe('thread');
    expect(job.querySelector('.node-state')!.textContent).toBe('fetch(url) running on worker 1');
    expect(job.querySelector('.node-location')!.textContent).toBe('jobs.py:12');
    const connection = root.querySelector<SVGGElement>('g.node[data-root-of="2"]')!;
    expect(connection.dataset.rootKind).toBe('connection');
    // A long phrase goes over two lines, broken at a space.
    expect(connection.querySelector('.node-state')!.textContent).toBe('PoetryClientFactory →');
    expect(connection.querySelector('.node-result')!.textContent).toBe('127.0.0.1:10000 · connecting');
    const label = (from: string) => root.querySelector(`g.edge[data-from="${from}"] .edge-label`)!.textContent;
    expect(label('d1')).toBe('fired by');
    expect(label('d2')).toBe('held by');
    expect(root.querySelector('g.edge[data-from="d1"]')!.getAttribute('data-to')).toBe('r1');
    // Another holder: its edge says "held by", its node the holder.
    const holder = root.querySelector<SVGGElement>('g.node[data-root-of="5"]')!;
    expect(holder.dataset.rootKind).toBe('unknown');
    expect(holder.querySelector('.node-label')!.textContent).toBe('__main__.gates[0]');
    expect(holder.getAttribute('aria-label')).toBe('held by __main__.gates[0]');
    expect(label('d5')).toBe('held by');
  });

  it('marks the orphan, not the Deferred waiting on it, and draws no node for "nothing"', () => {
    const { root } = wholeGraph(waits());
    const inner = root.querySelector<SVGGElement>('g.node[data-deferred-id="4"]')!;
    expect(inner.classList.contains('orphan')).toBe(true);
    expect(inner.querySelector('.node-badge')!.textContent).toBe('orphan');
    expect(inner.getAttribute('aria-label')).toMatch(/; orphan — nothing can ever fire it$/);
    expect(root.querySelector('g.node[data-deferred-id="3"]')!.classList.contains('orphan')).toBe(false);
    expect(root.querySelector('g.node[data-root-of="3"], g.node[data-root-of="4"]')).toBeNull();
  });

  it('opens a root’s location, and selects the Deferred it blocks', () => {
    const { root, host, app } = wholeGraph(waits());
    root.querySelector('g.node[data-root-of="1"] .node-location')!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    expect(host.posted.at(-1)).toEqual({ type: 'openLocation', file: '/srv/jobs.py', line: 12 });
    expect(app.tree.selectedKey).toBe('d1');
  });

  it('rewrites a root’s words in place on a live update (no node moves)', () => {
    const { root, send, runFrames } = wholeGraph(waits());
    const job = () => root.querySelector<SVGGElement>('g.node[data-root-of="1"]')!;
    const where = new Map([...root.querySelectorAll<SVGGElement>('g.node')].map((g) => [g.dataset.key, g.getAttribute('transform')]));
    const [updated] = waits('fetch(url) running on worker 2');
    send({ type: 'delta', sessionId: 's1', header: header(), upserts: [{ ...updated, lastSeq: 5 }], removed: [] });
    runFrames();
    expect(job().querySelector('.node-state')!.textContent).toBe('fetch(url) running on worker 2');
    for (const g of root.querySelectorAll<SVGGElement>('g.node')) expect(g.getAttribute('transform')).toBe(where.get(g.dataset.key));
  });

  it('puts the roots in the exported SVG', () => {
    const { root, host } = wholeGraph(waits());
    root.querySelector<HTMLButtonElement>('button[aria-label="Export the graph as SVG"]')!.click();
    const svg = (host.posted.at(-1) as { data: string }).data;
    expect(svg).toContain('node-root node-thread');
    expect(svg).toContain('fetch(url) running on worker 1');
    expect(svg).toContain('held by');
    expect(svg).toContain('orphan');
  });
});

describe('the graph view', () => {
  it('switches from the header toggle and draws Experiment 3.a: a → b "waits on"', () => {
    const { root } = graphMode(withHostile());
    expect(root.dataset.mode).toBe('graph');
    expect(root.querySelector('.mode-graph')!.getAttribute('aria-pressed')).toBe('true');
    const byId = new Map(nodes(root).map((g) => [g.dataset.deferredId, g]));
    expect([...byId.keys()].sort()).toEqual(['1', '2', '3']);
    expect(byId.get('1')!.getAttribute('aria-label')).toBe('a, waiting on b (#2), result → #2, 1 callback');
    expect(byId.get('1')!.querySelector('.node-result')!.textContent).toBe('→ #2');
    const edge = root.querySelector<SVGGElement>('g.edge')!;
    expect([edge.dataset.from, edge.dataset.to, edge.querySelector('.edge-label')!.textContent]).toEqual(['d1', 'd2', 'waits on']);
  });

  it('keeps a hostile label as text', () => {
    const { root } = graphMode(withHostile());
    const hostile = nodes(root).find((g) => g.dataset.deferredId === '3')!;
    // Cut in the middle to fit the node; the whole text is the tooltip.
    expect(hostile.querySelector('.node-label')!.textContent).toBe('<img src=x on…or=alert(1)>');
    expect(hostile.querySelector('title')!.textContent).toBe(XSS);
    expect(root.querySelectorAll('img')).toHaveLength(0);
  });

  it('shares the selection with the tree, both ways', () => {
    const { root, app, runFrames } = graphMode(withHostile());
    nodes(root)
      .find((g) => g.dataset.deferredId === '2')!
      .dispatchEvent(new MouseEvent('click', { bubbles: true }));
    expect(app.tree.selectedKey).toBe('d2');
    expect(root.querySelector('.graph')!.getAttribute('aria-activedescendant')).toBe('dg-node-d2');
    app.tree.select('d1');
    runFrames();
    expect(root.querySelector('g.node.selected')!.getAttribute('data-deferred-id')).toBe('1');
  });

  it('moves between nodes with the arrow keys', () => {
    const { root, app } = graphMode(withHostile());
    const graph = root.querySelector('.graph')!;
    const key = (k: string) => graph.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
    key('Home');
    expect(app.tree.selectedKey).toBe('d1');
    key('ArrowRight');
    expect(app.tree.selectedKey).toBe('d2');
    key('ArrowLeft');
    expect(app.tree.selectedKey).toBe('d1');
  });

  it('asks the host to open a node’s creation site', () => {
    const { root, host } = graphMode(withHostile());
    nodes(root)[0]
      .querySelector('.node-location')!
      .dispatchEvent(new MouseEvent('click', { bubbles: true }));
    expect(host.posted.at(-1)).toMatchObject({ type: 'openLocation', line: expect.any(Number) });
  });

  it('switches and selects on the host’s `show` message', () => {
    const m = mount();
    m.send(init(withHostile()));
    m.send({ type: 'show', view: 'graph', reveal: [2], select: true });
    m.runFrames();
    expect(m.root.dataset.mode).toBe('graph');
    expect(m.app.tree.selectedKey).toBe('d2');
  });

  it('collapses 10,000 Deferreds of a few shapes and stays cheap under live updates', () => {
    const many: DeferredView[] = [];
    for (let id = 1; id <= 10_000; id++) many.push(pendingView(id, { created: { file: '/app.py', line: id % 5, function: 'make' } }));
    const started = performance.now();
    const { root, send, runFrames } = graphMode(many);
    expect(nodes(root).length).toBeLessThanOrEqual(5);
    expect(root.querySelector('.node-badge')!.textContent).toBe('×2000');
    const drawMs = performance.now() - started;
    const update = performance.now();
    for (let i = 0; i < 20; i++) {
      const upserts = Array.from({ length: 250 }, (_, k) => ({ ...many[(i * 250 + k) % many.length], lastSeq: i }));
      send({ type: 'delta', sessionId: 's1', header: header(), upserts, removed: [] });
      runFrames();
    }
    const perDelta = (performance.now() - update) / 20;
    expect(drawMs).toBeLessThan(3000);
    expect(perDelta).toBeLessThan(50);
  });
});
