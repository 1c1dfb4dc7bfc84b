// @vitest-environment happy-dom
/**
 * The graph view in the app: the header toggle and the `show` message switch to it, nodes are
 * elements with `data-deferred-id` and an accessible name, hostile labels stay text, the
 * selection is shared with the tree both ways, a location click asks the host to open it, and
 * 10,000 Deferreds (collapsed) and live updates stay cheap.
 */
import { describe, expect, it } from 'vitest';
import type { DeferredView } from '../../src/protocol/protocol';
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
