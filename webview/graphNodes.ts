/**
 * One graph node or edge as SVG, for the live view (graphDom.ts) and the exported picture
 * (graphExport.ts) alike. A node shows the tree row's words (format.ts over view.ts): label,
 * status, state, result or N/A and the callback count, a "×15" badge for a collapsed group (or
 * "orphan" for a Deferred nothing can fire) and the creation site as a link. A root node (what
 * a wait ends at: timer, thread job, process, connection, lock, queue, another holder) shows
 * the kind's word, the runtime's fact phrase and its location as a link, in the words of
 * viewWhy.ts. Every string goes in with `textContent`; every element is built once per node
 * and only its texts are rewritten when the Deferred changes.
 */
import {
  EDGE_WORDS,
  groupDescription,
  groupText,
  KIND_WORDS,
  knownStatus,
  locationText,
  nodeDescription,
  refName,
  rowText,
  timerText,
  whyText,
} from '../src/model/view';
import type { BlockedBy, DeferredView, Location } from '../src/protocol/protocol';
import { middleCut, safeText, tooltipText } from './format';
import { NODE_HEIGHT, NODE_WIDTH } from './graphLayout';
import { type GraphEdge, type GraphNode, isOrphanEnd, type NodeShape, rootOf } from './graphModel';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Text glyphs, not the codicon font, so that an exported picture draws them anywhere. */
const STATUS_GLYPHS: Record<string, string> = { pending: '○', waiting: '⇢', paused: '‖', fired: '✓', failed: '✗' };
/** Each root kind's icon (with its box's corners, the node's shape). */
const ROOT_GLYPHS: Record<string, string> = {
  timer: '◷',
  thread: '⇶',
  process: '⚙',
  connection: '⇄',
  lock: '⊘',
  queue: '☰',
  unknown: '◇',
};
/** Corner radius of each shape's box: a timer is a pill, a process square, a Deferred rounded. */
const CORNERS: Record<string, number> = { timer: NODE_HEIGHT / 2, process: 0, thread: 12, connection: 12, deferred: 4 };
/** Characters of each line that fit the node's width at the webview's font size. */
const LABEL_CHARS = 26;
const LINE_CHARS = 36;

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) e.setAttribute(name, String(value));
  return e;
}

export interface NodeTexts {
  /** The shape drawn: `deferred`, or the root's kind now (it may change before a rebuild). */
  shape: NodeShape;
  orphan: boolean;
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

/** Characters of a root's phrase per line (its two lines are in the plain font, which runs wider). */
const ROOT_LINE_CHARS = 31;

/** A phrase over two lines, broken after a " · " (else a space) that fits; the rest cut in the middle. */
function twoLines(text: string, max = ROOT_LINE_CHARS): [string, string] {
  if (text.length <= max) return [text, ''];
  const dot = text.lastIndexOf(' · ', max - 2);
  const at = dot > 0 ? dot + 3 : text.lastIndexOf(' ', max);
  if (at <= 0) return [middleCut(text, max), ''];
  return [text.slice(0, at).trimEnd(), middleCut(text.slice(at).trimStart(), max)];
}

/** A root node's wait: the Deferred's root now, else the one the graph was built with. */
function rootNow(node: GraphNode, d: DeferredView): BlockedBy | null {
  return rootOf(d)?.root ?? node.root ?? null;
}

/** The source location a node's link opens: a root's (the timer's call, the worker's line...) or the creation site. */
export function nodeLocation(node: GraphNode, d: DeferredView): Location | null {
  const loc = node.shape === 'deferred' ? d.created : rootNow(node, d)?.location;
  return loc && typeof loc.file === 'string' && loc.file && Number.isInteger(loc.line) ? loc : null;
}

function rootTexts(node: GraphNode, d: DeferredView, lookup: (id: number) => DeferredView | undefined): NodeTexts {
  const root = rootNow(node, d);
  const kind = root && Object.hasOwn(ROOT_GLYPHS, root.kind) ? (root.kind as NodeShape) : node.shape;
  const line = root ? whyText(root, (id) => refName(id, lookup), true) : d.timer ? timerText(d.timer) : '';
  const phrase = root && typeof root.text === 'string' ? root.text : '';
  // The kind's word heads the node and the runtime's phrase follows, as in the row's line.
  // A 1.2 runtime's timer has only the timer's own line.
  // "held by …" (unknown) is all phrase, less the "held by" its edge already says.
  const holder = phrase.startsWith(`${KIND_WORDS.unknown} `) ? phrase.slice(KIND_WORDS.unknown.length + 1) : phrase;
  const [label, state] = !root ? [line, ''] : kind === 'unknown' ? [holder, ''] : [KIND_WORDS[kind] ?? kind, phrase];
  const loc = nodeLocation(node, d);
  const [first, second] = twoLines(state);
  return {
    shape: kind,
    orphan: false,
    label: middleCut(label, root ? LABEL_CHARS : LINE_CHARS),
    full: tooltipText(line),
    glyph: ROOT_GLYPHS[kind] ?? ROOT_GLYPHS.unknown,
    status: 'root',
    state: middleCut(first, ROOT_LINE_CHARS),
    result: second,
    callbacks: '',
    badge: '',
    location: loc ? safeText(locationText(loc.file, loc.line), 60) : '',
    description: safeText(line, 600),
  };
}

export function nodeTexts(node: GraphNode, d: DeferredView, lookup: (id: number) => DeferredView | undefined): NodeTexts {
  if (node.shape !== 'deferred') return rootTexts(node, d, lookup);
  const status = knownStatus(d);
  // Plain words from the model; middleCut makes them safe after cutting.
  const { label, state, result, callbacks } = rowText(d, lookup);
  const orphan = isOrphanEnd(d);
  let description = node.group ? `${groupDescription(node.group.length, d)}; ${nodeDescription(d, lookup)}` : nodeDescription(d, lookup);
  if (orphan && d.blockedBy) description += `; ${whyText(d.blockedBy, (id) => refName(id, lookup))}`;
  const loc = nodeLocation(node, d);
  return {
    shape: 'deferred',
    orphan,
    label: middleCut(label, node.group || orphan ? LABEL_CHARS - 6 : LABEL_CHARS),
    full: tooltipText(label),
    glyph: STATUS_GLYPHS[status],
    status,
    state: middleCut(state, LINE_CHARS),
    result: middleCut(result, LINE_CHARS - 14),
    callbacks: `callbacks ${callbacks}`,
    badge: node.group ? groupText(node.group.length) : orphan ? KIND_WORDS.orphan : '',
    location: loc ? safeText(locationText(loc.file, loc.line), 60) : '',
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
  const rounded = CORNERS[texts.shape] ?? 8;
  const lod = compact ? 'compact' : 'full';
  if (g.dataset.lod !== lod) {
    g.dataset.lod = lod;
    g.replaceChildren();
  }
  g.setAttribute('transform', `translate(${x},${y})`);
  const kind = texts.shape === 'deferred' ? '' : ` node-root node-${texts.shape}`;
  g.setAttribute(
    'class',
    `node${kind} status-${texts.status}${node.group ? ' node-group' : ''}${texts.orphan ? ' orphan' : ''}${selected ? ' selected' : ''}`,
  );
  if (texts.shape !== 'deferred') g.dataset.rootKind = texts.shape;
  g.setAttribute('aria-label', texts.description);
  g.setAttribute('aria-selected', String(selected));
  if (compact) {
    // Zoomed far out: a box coloured by status, the words in its tooltip.
    if (!g.firstChild) g.append(svg('rect', { class: 'node-box', width: NODE_WIDTH, height: NODE_HEIGHT }), svg('title'));
    g.firstElementChild!.setAttribute('rx', String(rounded));
    setSvgText(g.children[1] as SVGElement, texts.full);
    return;
  }
  if (!g.firstChild) {
    g.append(
      svg('rect', { class: 'node-box', width: NODE_WIDTH, height: NODE_HEIGHT }),
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
  const [box, title, glyph, label, badge, state, result, callbacks, location] = Array.from(g.children) as SVGElement[];
  box.setAttribute('rx', String(rounded));
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
