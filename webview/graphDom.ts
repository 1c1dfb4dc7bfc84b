/**
 * The graph view's DOM: one SVG, panned and zoomed with a transform, where only the nodes and
 * edges near the viewport exist (like the tree's rows), so a graph of thousands of nodes costs
 * what its visible part costs, and a pan only moves a transform until it leaves the drawn
 * margin. Each node is a `<g>` with `data-deferred-id` (a root node of a wait: `data-root-of`,
 * the Deferred, and `data-root-kind`), `role="option"` and an accessible name; the container
 * is a listbox whose `aria-activedescendant` is the selected node, which is always drawn.
 * Positions come from the layout (layoutClient.ts) and change only when the graph's shape
 * does; a live update rewrites the texts of the nodes in view.
 */
import type { DeferredView } from '../src/protocol/protocol';
import { observeSize, trackPointer } from './dom';
import { onGraphKey } from './graphKeys';
import { NODE_HEIGHT, NODE_WIDTH } from './graphLayout';
import type { GraphModel } from './graphModel';
import { arrowMarker, drawEdge, drawNode, nodeLocation, nodeTexts, svg } from './graphNodes';
import { LayoutClient } from './layoutClient';

export interface GraphActions {
  select(id: number, key: string): void;
  openLocation(file: string, line: number): void;
  toggleGroup(leader: number): void;
}

const FALLBACK = { width: 800, height: 500 };
const MIN_ZOOM = 0.05;
const MAX_ZOOM = 2.5;
/** Below this zoom the words cannot be read: nodes are drawn as bare boxes (far fewer elements to paint). */
const COMPACT_ZOOM = 0.4;

interface Placed {
  g: SVGGElement;
  signature: string;
}

export class GraphDom {
  readonly element: HTMLElement;
  readonly layout = new LayoutClient();
  private readonly svgRoot: SVGSVGElement;
  private readonly viewport: SVGGElement;
  private readonly edgeLayer: SVGGElement;
  private readonly nodeLayer: SVGGElement;
  model: GraphModel | null = null;
  x: Float64Array = new Float64Array(0);
  y: Float64Array = new Float64Array(0);
  private extent = { width: 0, height: 0 };
  /** Pan (tx, ty) and zoom (k): screen = graph × k + t. */
  private tx = 16;
  private ty = 16;
  private k = 1;
  private size = { width: 0, height: 0 };
  private readonly nodes = new Map<string, Placed>();
  private readonly edges = new Map<string, SVGGElement>();
  /** The graph-space rectangle drawn, with a margin: a pan inside it needs no redraw. */
  private drawn = { x0: 0, y0: 0, x1: -1, y1: -1 };
  lookup: (id: number) => DeferredView | undefined = () => undefined;
  /** The node key each drawn Deferred is shown under (its own, its group's, or its timer's too). */
  private owners = new Map<number, string[]>();
  private compact = false;
  private framePending = false;
  private fitNext = true;
  selectedKey: string | null = null;
  active = false;

  constructor(readonly actions: GraphActions) {
    this.element = document.createElement('div');
    this.element.className = 'graph';
    this.element.tabIndex = 0;
    this.element.setAttribute('role', 'listbox');
    this.element.setAttribute('aria-label', 'Deferred graph');
    this.svgRoot = svg('svg', { class: 'graph-svg', role: 'presentation' });
    this.viewport = svg('g', { class: 'graph-viewport' });
    this.edgeLayer = svg('g', { class: 'edges' });
    this.nodeLayer = svg('g', { class: 'nodes' });
    this.viewport.append(this.edgeLayer, this.nodeLayer);
    this.svgRoot.append(arrowMarker(), this.viewport);
    this.element.append(this.svgRoot);
    observeSize(this.element, (r) => {
      this.size = { width: r.width, height: r.height };
      this.schedule();
    });
    this.element.addEventListener('keydown', (e) => onGraphKey(e, this));
    this.element.addEventListener('click', (e) => this.onClick(e));
    this.element.addEventListener('dblclick', (e) => {
      const node = this.nodeAt(e.target);
      if (node?.group) this.actions.toggleGroup(node.id);
    });
    this.element.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    this.element.addEventListener('pointerdown', (e) => this.onPointerDown(e));
  }

  private viewSize(): { width: number; height: number } {
    if (this.size.width <= 0) this.size = { width: this.element.clientWidth, height: this.element.clientHeight };
    return this.size.width > 0 ? this.size : FALLBACK;
  }

  /** A new graph: lays it out (off the main thread) and draws it when the positions come back. */
  setGraph(model: GraphModel, lookup: (id: number) => DeferredView | undefined, fit: boolean): void {
    this.lookup = lookup;
    this.fitNext ||= fit;
    const parent = new Int32Array(model.nodes.length);
    const depth = new Int32Array(model.nodes.length);
    model.nodes.forEach((n, i) => {
      parent[i] = n.parent;
      depth[i] = n.depth;
    });
    this.layout.run({ parent, depth }, (result) => {
      this.model = model;
      this.x = result.x;
      this.y = result.y;
      this.extent = { width: result.width, height: result.height };
      // Elements of nodes that stay are kept (and rewritten only where they moved or changed).
      this.owners = new Map();
      for (const node of model.nodes) {
        for (const id of node.group ?? [node.id]) {
          const keys = this.owners.get(id);
          if (keys) keys.push(node.key);
          else this.owners.set(id, [node.key]);
        }
      }
      this.element.dataset.nodes = String(model.nodes.length);
      // Where and how fast the layout ran, for the tests and the bench.
      this.element.dataset.layout = this.layout.last?.inWorker ? 'worker' : 'inline';
      this.element.dataset.layoutMs = (this.layout.last?.roundTripMs ?? 0).toFixed(1);
      this.element.dataset.layoutWorkMs = (this.layout.last?.layoutMs ?? 0).toFixed(2);
      if (this.fitNext) this.fit(true);
      else this.render();
      this.fitNext = false;
      if (this.selectedKey) this.reveal(this.selectedKey);
    });
  }

  /**
   * Texts changed (a live update): rewrites the drawn nodes of the Deferreds in `ids` whose
   * words differ (every drawn node when `ids` is null). Positions do not change.
   */
  refresh(lookup: (id: number) => DeferredView | undefined, ids: Iterable<number> | null): void {
    this.lookup = lookup;
    if (!ids || !this.model || !this.active) {
      this.render();
      return;
    }
    for (const id of ids) {
      for (const key of this.owners.get(id) ?? []) if (this.nodes.has(key)) this.drawNodeAt(this.model.index.get(key)!);
    }
  }

  /** Draws on the next frame (pan, zoom and resizes coalesce). */
  schedule(): void {
    if (this.framePending) return;
    this.framePending = true;
    requestAnimationFrame(() => {
      this.framePending = false;
      this.render();
    });
  }

  /** The graph-space rectangle on screen. */
  private visibleRect(): { x0: number; y0: number; x1: number; y1: number } {
    const { width, height } = this.viewSize();
    return { x0: -this.tx / this.k, y0: -this.ty / this.k, x1: (width - this.tx) / this.k, y1: (height - this.ty) / this.k };
  }

  /** Applies the transform; redraws only when the view left the drawn rectangle (or `force`). */
  render(force = true): void {
    this.viewport.setAttribute('transform', `translate(${this.tx},${this.ty}) scale(${this.k})`);
    const model = this.model;
    if (!model || !this.active) return;
    const v = this.visibleRect();
    const compact = this.k < COMPACT_ZOOM;
    if (compact !== this.compact) {
      this.compact = compact;
      this.svgRoot.classList.toggle('compact', compact);
      force = true;
    }
    if (!force && v.x0 >= this.drawn.x0 && v.y0 >= this.drawn.y0 && v.x1 <= this.drawn.x1 && v.y1 <= this.drawn.y1) return;
    const mx = (v.x1 - v.x0) / 2;
    const my = (v.y1 - v.y0) / 2;
    const r = { x0: v.x0 - mx, y0: v.y0 - my, x1: v.x1 + mx, y1: v.y1 + my };
    this.drawn = r;
    const inside = (i: number): boolean =>
      this.x[i] + NODE_WIDTH >= r.x0 && this.x[i] <= r.x1 && this.y[i] + NODE_HEIGHT >= r.y0 && this.y[i] <= r.y1;
    const wanted = new Set<string>();
    model.nodes.forEach((node, i) => {
      if (inside(i) || node.key === this.selectedKey) wanted.add(node.key);
    });
    for (const [key, placed] of this.nodes) {
      if (!wanted.has(key)) {
        placed.g.remove();
        this.nodes.delete(key);
      }
    }
    for (const key of wanted) this.drawNodeAt(model.index.get(key)!);
    this.drawEdges(r);
    if (this.selectedKey && this.nodes.has(this.selectedKey))
      this.element.setAttribute('aria-activedescendant', nodeDomId(this.selectedKey));
    else this.element.removeAttribute('aria-activedescendant');
  }

  private drawNodeAt(i: number): void {
    const model = this.model!;
    const node = model.nodes[i];
    const d = this.lookup(node.id);
    if (!d) return;
    let placed = this.nodes.get(node.key);
    if (!placed) {
      const g = svg('g', { id: nodeDomId(node.key), role: 'option' });
      g.dataset.key = node.key;
      // A root node is not a Deferred: it names the Deferred whose wait ends at it.
      if (node.shape === 'deferred') g.dataset.deferredId = String(node.id);
      else g.dataset.rootOf = String(node.id);
      placed = { g, signature: '' };
      this.nodes.set(node.key, placed);
      this.nodeLayer.append(g);
    }
    const texts = nodeTexts(node, d, this.lookup);
    const selected = node.key === this.selectedKey;
    const signature = `${this.compact}|${this.x[i]},${this.y[i]}|${selected}|${Object.values(texts).join('\u0000')}`;
    if (placed.signature === signature) return;
    placed.signature = signature;
    drawNode(placed.g, node, texts, this.x[i], this.y[i], selected, this.compact);
  }

  private drawEdges(r: { x0: number; y0: number; x1: number; y1: number }): void {
    const model = this.model!;
    const wanted = new Set<string>();
    for (const edge of model.edges) {
      const a = model.index.get(edge.from);
      const b = model.index.get(edge.to);
      if (a === undefined || b === undefined) continue;
      const x0 = Math.min(this.x[a], this.x[b]);
      const x1 = Math.max(this.x[a], this.x[b]) + NODE_WIDTH;
      const y0 = Math.min(this.y[a], this.y[b]);
      const y1 = Math.max(this.y[a], this.y[b]) + NODE_HEIGHT;
      if (x1 < r.x0 || x0 > r.x1 || y1 < r.y0 || y0 > r.y1) continue;
      const key = `${edge.from}>${edge.to}`;
      wanted.add(key);
      let g = this.edges.get(key);
      if (!g) {
        g = svg('g');
        this.edges.set(key, g);
        this.edgeLayer.append(g);
      }
      drawEdge(g, edge, this.x[a], this.y[a], this.x[b], this.y[b]);
    }
    for (const [key, g] of this.edges) {
      if (!wanted.has(key)) {
        g.remove();
        this.edges.delete(key);
      }
    }
  }

  /**
   * Zooms to show the whole graph (never above 1: small graphs stay at their size). `auto` (a new
   * graph, not the Fit button): when the whole would be too small to read, it shows the start of
   * the graph (the selected node, else the first) at a readable zoom instead.
   */
  fit(auto = false): void {
    const { width, height } = this.viewSize();
    const w = Math.max(1, this.extent.width);
    const h = Math.max(1, this.extent.height);
    this.k = Math.max(MIN_ZOOM, Math.min(1, (width - 32) / w, (height - 32) / h));
    this.tx = Math.max(16, (width - w * this.k) / 2);
    this.ty = Math.max(16, (height - h * this.k) / 2);
    if (auto && this.k < COMPACT_ZOOM && this.model?.nodes.length) {
      const i = (this.selectedKey && this.model.index.get(this.selectedKey)) || 0;
      this.k = Math.min(1, Math.max(COMPACT_ZOOM + 0.2, (width - 32) / (3 * (NODE_WIDTH + 88))));
      this.tx = i ? width / 2 - (this.x[i] + NODE_WIDTH / 2) * this.k : 16 - this.x[i] * this.k;
      this.ty = height / 2 - (this.y[i] + NODE_HEIGHT / 2) * this.k;
    }
    this.render();
  }

  zoomBy(factor: number, cx = this.viewSize().width / 2, cy = this.viewSize().height / 2): void {
    const k = Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, this.k * factor));
    this.tx = cx - ((cx - this.tx) * k) / this.k;
    this.ty = cy - ((cy - this.ty) * k) / this.k;
    this.k = k;
    this.render(false);
  }

  /** Selects a node (its Deferred's, or the group standing for it) and pans it into view. */
  select(key: string): boolean {
    if (!this.model?.index.has(key)) return false;
    this.selectedKey = key;
    this.reveal(key);
    return true;
  }

  private reveal(key: string): void {
    const i = this.model?.index.get(key);
    if (i === undefined) return;
    const { width, height } = this.viewSize();
    const sx = this.x[i] * this.k + this.tx;
    const sy = this.y[i] * this.k + this.ty;
    if (sx < 0 || sy < 0 || sx + NODE_WIDTH * this.k > width || sy + NODE_HEIGHT * this.k > height) {
      this.tx = width / 2 - (this.x[i] + NODE_WIDTH / 2) * this.k;
      this.ty = height / 2 - (this.y[i] + NODE_HEIGHT / 2) * this.k;
    }
    this.render();
  }

  private nodeAt(target: EventTarget | null) {
    const g = (target as Element | null)?.closest?.('g.node') as SVGGElement | null;
    const i = g?.dataset.key ? this.model?.index.get(g.dataset.key) : undefined;
    return i === undefined ? undefined : this.model!.nodes[i];
  }

  choose(index: number): void {
    const node = this.model!.nodes[index];
    this.select(node.key);
    this.actions.select(node.id, node.key);
  }

  private onClick(e: MouseEvent): void {
    const node = this.nodeAt(e.target);
    if (!node) return;
    this.element.focus();
    this.choose(this.model!.index.get(node.key)!);
    const target = e.target as Element;
    const d = this.lookup(node.id);
    const loc = d ? nodeLocation(node, d) : null;
    if (target.classList.contains('node-location') && loc) this.actions.openLocation(loc.file, loc.line);
    else if (target.classList.contains('node-badge') && node.group) this.actions.toggleGroup(node.id);
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    const box = this.element.getBoundingClientRect();
    this.zoomBy(Math.exp(-e.deltaY / 400), e.clientX - box.left, e.clientY - box.top);
  }

  private onPointerDown(e: PointerEvent): void {
    if (e.button !== 0 || this.nodeAt(e.target)) return;
    let lastX = e.clientX;
    let lastY = e.clientY;
    const move = (m: PointerEvent): void => {
      this.tx += m.clientX - lastX;
      this.ty += m.clientY - lastY;
      lastX = m.clientX;
      lastY = m.clientY;
      this.render(false);
    };
    trackPointer(move);
  }

  /** Pans by (dx, dy) screen pixels (keyboard-free panning for tests and the bench). */
  panBy(dx: number, dy: number): void {
    this.tx += dx;
    this.ty += dy;
    this.render(false);
  }
}

export const nodeDomId = (key: string): string => `dg-node-${key}`;
