/**
 * One graph node or edge as SVG, for the live view (graphDom.ts) and the exported picture
 * (graphExport.ts) alike. A node shows the tree row's words (format.ts over view.ts): label,
 * status, state, result or N/A and the callback count, a "×15" badge for a collapsed group and
 * the creation site as a link. Every string goes in with `textContent`; every element is
 * built once per node and only its texts are rewritten when the Deferred changes.
 */
import { EDGE_WORDS, groupDescription, groupText, knownStatus, locationText, nodeDescription, rowText, timerText } from '../src/model/view';
import type { DeferredView } from '../src/protocol/protocol';
import { middleCut, safeText, tooltipText } from './format';
import { NODE_HEIGHT, NODE_WIDTH } from './graphLayout';
import type { GraphEdge, GraphNode } from './graphModel';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Text glyphs, not the codicon font, so that an exported picture draws them anywhere. */
const STATUS_GLYPHS: Record<string, string> = { pending: '○', waiting: '⇢', paused: '⏸', fired: '✓', failed: '✗' };
/** Characters of each line that fit the node's width at the webview's font size. */
const LABEL_CHARS = 26;
const LINE_CHARS = 36;

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) e.setAttribute(name, String(value));
  return e;
}

export interface NodeTexts {
  label: string;
  /** The whole label, for the tooltip. */
  full: string;
  glyph: string;
  status: string;
  state: string;
  result: string;
  callbacks: string;
  badge: string;
  location: string;
  description: string;
}

export function nodeTexts(node: GraphNode, d: DeferredView, lookup: (id: number) => DeferredView | undefined): NodeTexts {
  const status = knownStatus(d);
  if (node.shape === 'timer' && d.timer) {
    const text = timerText(d.timer);
    return {
      label: middleCut(text, LINE_CHARS),
      full: tooltipText(text),
      glyph: '⏲',
      status: 'timer',
      state: '',
      result: '',
      callbacks: '',
      badge: '',
      location: '',
      description: safeText(text),
    };
  }
  // Plain words from the model; middleCut makes them safe after cutting.
  const { label, state, result, callbacks } = rowText(d, lookup);
  const description = node.group ? `${groupDescription(node.group.length, d)}; ${nodeDescription(d, lookup)}` : nodeDescription(d, lookup);
  return {
    label: middleCut(label, node.group ? LABEL_CHARS - 4 : LABEL_CHARS),
    full: tooltipText(label),
    glyph: STATUS_GLYPHS[status],
    status,
    state: middleCut(state, LINE_CHARS),
    result: middleCut(result, LINE_CHARS - 14),
    callbacks: `callbacks ${callbacks}`,
    badge: node.group ? groupText(node.group.length) : '',
    location: d.created && typeof d.created.file === 'string' ? safeText(locationText(d.created.file, d.created.line), 60) : '',
    description: safeText(description, 600),
  };
}

/** Builds a node's elements (once) and writes its texts; `texts` are already safe. */
export function drawNode(
  g: SVGGElement,
  node: GraphNode,
  texts: NodeTexts,
  x: number,
  y: number,
  selected: boolean,
  compact = false,
): void {
  const rounded = node.shape === 'timer' ? NODE_HEIGHT / 2 : 4;
  const lod = compact ? 'compact' : 'full';
  if (g.dataset.lod !== lod) {
    g.dataset.lod = lod;
    g.replaceChildren();
  }
  g.setAttribute('transform', `translate(${x},${y})`);
  g.setAttribute('class', `node node-${node.shape} status-${texts.status}${node.group ? ' node-group' : ''}${selected ? ' selected' : ''}`);
  g.setAttribute('aria-label', texts.description);
  g.setAttribute('aria-selected', String(selected));
  if (compact) {
    // Zoomed far out: a box coloured by status, the words in its tooltip.
    if (!g.firstChild) g.append(svg('rect', { class: 'node-box', width: NODE_WIDTH, height: NODE_HEIGHT, rx: rounded }), svg('title'));
    setSvgText(g.children[1] as SVGElement, texts.full);
    return;
  }
  if (!g.firstChild) {
    g.append(
      svg('rect', { class: 'node-box', width: NODE_WIDTH, height: NODE_HEIGHT, rx: rounded }),
      svg('title'),
      svg('text', { class: 'node-glyph', x: 10, y: 20 }),
      svg('text', { class: 'node-label', x: 28, y: 20 }),
      svg('text', { class: 'node-badge', x: NODE_WIDTH - 8, y: 20, 'text-anchor': 'end' }),
      svg('text', { class: 'node-state', x: 10, y: 38 }),
      svg('text', { class: 'node-result', x: 10, y: 54 }),
      svg('text', { class: 'node-callbacks', x: NODE_WIDTH - 8, y: 54, 'text-anchor': 'end' }),
      svg('text', { class: 'node-location', x: 10, y: 68 }),
    );
  }
  const [, title, glyph, label, badge, state, result, callbacks, location] = Array.from(g.children) as SVGElement[];
  setSvgText(title, texts.full);
  setSvgText(glyph, texts.glyph);
  setSvgText(label, texts.label);
  setSvgText(badge, texts.badge);
  setSvgText(state, texts.state);
  setSvgText(result, texts.result);
  result.classList.toggle('na', texts.result === 'N/A');
  setSvgText(callbacks, texts.callbacks);
  setSvgText(location, texts.location);
}

function setSvgText(target: SVGElement, text: string): void {
  if (target.textContent !== text) target.textContent = text;
}

/** An edge from the right side of one box to the left side of another, with its label. */
export function drawEdge(g: SVGGElement, edge: GraphEdge, x1: number, y1: number, x2: number, y2: number): void {
  const sx = x1 + NODE_WIDTH;
  const sy = y1 + NODE_HEIGHT / 2;
  const tx = x2;
  const ty = y2 + NODE_HEIGHT / 2;
  // A backward edge (a cycle, or a reference to a Deferred placed earlier) loops around.
  const bend = Math.max(40, Math.abs(tx - sx) / 2);
  const d = `M${sx},${sy} C${sx + bend},${sy} ${tx - bend},${ty} ${tx},${ty}`;
  if (!g.firstChild) g.append(svg('path', { class: 'edge-line', 'marker-end': 'url(#dg-arrow)' }), svg('text', { class: 'edge-label' }));
  const [path, label] = Array.from(g.children) as SVGElement[];
  g.setAttribute('class', `edge edge-${edge.kind}`);
  g.dataset.from = edge.from;
  g.dataset.to = edge.to;
  path.setAttribute('d', d);
  const lx = tx >= sx ? sx + 6 : (sx + tx) / 2;
  label.setAttribute('x', String(lx));
  label.setAttribute('y', String(sy + (ty - sy) * (tx >= sx ? 0.15 : 0.5) - 4));
  setSvgText(label, EDGE_WORDS[edge.kind]);
}

/** The arrowhead every edge ends with. */
export function arrowMarker(): SVGDefsElement {
  const defs = svg('defs');
  const marker = svg('marker', {
    id: 'dg-arrow',
    viewBox: '0 0 10 10',
    refX: 10,
    refY: 5,
    markerWidth: 7,
    markerHeight: 7,
    orient: 'auto',
  });
  marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'edge-arrow' }));
  defs.append(marker);
  return defs;
}
