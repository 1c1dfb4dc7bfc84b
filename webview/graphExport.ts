/**
 * The graph as a picture to save: a standalone SVG of every laid-out node and edge (not only
 * those in view), drawn by the same functions as the live view, with the theme's colours
 * resolved into an embedded stylesheet so that it looks the same outside VS Code; and a PNG
 * rasterised from that SVG through an image and a canvas. The host writes the file.
 */

import type { DeferredView } from '../src/protocol/protocol';
import { NODE_HEIGHT, NODE_WIDTH } from './graphLayout';
import type { GraphModel } from './graphModel';
import { arrowMarker, drawEdge, drawNode, nodeTexts, svg } from './graphNodes';

/** Theme colours the picture uses, read from the webview's --vscode-* variables. */
const COLOURS = {
  fg: ['--vscode-foreground', '#333'],
  bg: ['--vscode-editor-background', '#fff'],
  muted: ['--vscode-descriptionForeground', '#777'],
  border: ['--vscode-panel-border', '#999'],
  box: ['--vscode-editorWidget-background', '#f3f3f3'],
  link: ['--vscode-textLink-foreground', '#06c'],
  error: ['--vscode-errorForeground', '#c00'],
  green: ['--vscode-charts-green', '#388a34'],
  yellow: ['--vscode-charts-yellow', '#bf8803'],
  blue: ['--vscode-charts-blue', '#1a85ff'],
  orange: ['--vscode-charts-orange', '#d18616'],
  purple: ['--vscode-charts-purple', '#652d90'],
} as const;

function colour([name, fallback]: readonly [string, string]): string {
  const value = typeof getComputedStyle === 'function' ? getComputedStyle(document.body).getPropertyValue(name).trim() : '';
  // Only a plain colour may go into the stylesheet: nothing that could close the rule.
  return /^[#a-zA-Z0-9(),.%\s]+$/.test(value) ? value : fallback;
}

function stylesheet(): string {
  const c = Object.fromEntries(Object.entries(COLOURS).map(([k, v]) => [k, colour(v)])) as Record<keyof typeof COLOURS, string>;
  return `svg{background:${c.bg};font:12px sans-serif}
.node-box{fill:${c.box};stroke:${c.border}}.node-label{font-weight:600;fill:${c.fg}}
.node-state,.node-callbacks,.node-badge{fill:${c.muted}}.node-result{fill:${c.fg};font-family:monospace}
.node-result.na{fill:${c.muted};font-style:italic}.node-location{fill:${c.link}}
.status-pending .node-glyph{fill:${c.yellow}}.status-waiting .node-glyph,.status-paused .node-glyph{fill:${c.blue}}
.status-fired .node-glyph{fill:${c.green}}.status-failed .node-glyph,.status-failed .node-result{fill:${c.error}}
.edge-line{fill:none;stroke:${c.muted}}.edge-arrow{fill:${c.muted}}.edge-label{fill:${c.muted};font-size:10px}
.edge-memberOf .edge-line{stroke-dasharray:4 3}.edge-awaits .edge-line{stroke-dasharray:1 3}
.node-root .node-box{fill:none;stroke:${c.orange}}.node-root .node-glyph{fill:${c.orange}}.node-root .node-result{font-family:sans-serif;fill:${c.muted}}
.node-connection .node-box,.node-lock .node-box,.node-queue .node-box,.node-unknown .node-box{stroke:${c.purple};stroke-dasharray:3 2}
.node-connection .node-glyph,.node-lock .node-glyph,.node-queue .node-glyph,.node-unknown .node-glyph{fill:${c.purple}}
.orphan .node-box{stroke:${c.error};stroke-width:2;stroke-dasharray:6 2}.orphan .node-badge{fill:${c.error}}
.edge-firedBy .edge-line{stroke:${c.orange}}.edge-heldBy .edge-line{stroke:${c.purple};stroke-dasharray:3 2}`;
}

/** The whole laid-out graph as SVG text. */
export function graphSvg(model: GraphModel, x: Float64Array, y: Float64Array, lookup: (id: number) => DeferredView | undefined): string {
  const pad = 16;
  let width = 0;
  let height = 0;
  model.nodes.forEach((_, i) => {
    width = Math.max(width, x[i] + NODE_WIDTH);
    height = Math.max(height, y[i] + NODE_HEIGHT);
  });
  const root = svg('svg', {
    xmlns: 'http://www.w3.org/2000/svg',
    width: width + 2 * pad,
    height: height + 2 * pad,
    viewBox: `${-pad} ${-pad} ${width + 2 * pad} ${height + 2 * pad}`,
  });
  const style = svg('style');
  style.textContent = stylesheet();
  root.append(style, arrowMarker());
  const edges = svg('g');
  const nodes = svg('g');
  root.append(edges, nodes);
  for (const edge of model.edges) {
    const a = model.index.get(edge.from);
    const b = model.index.get(edge.to);
    if (a === undefined || b === undefined) continue;
    const g = svg('g');
    drawEdge(g, edge, x[a], y[a], x[b], y[b]);
    edges.append(g);
  }
  model.nodes.forEach((node, i) => {
    const d = lookup(node.id);
    if (!d) return;
    const g = svg('g');
    drawNode(g, node, nodeTexts(node, d, lookup), x[i], y[i], false);
    nodes.append(g);
  });
  return new XMLSerializer().serializeToString(root);
}

/** PNG (base64, without the data: prefix) rasterised from `svgText`; needs `img-src data:`. */
export async function svgToPng(svgText: string): Promise<string> {
  const image = new Image();
  const loaded = new Promise<void>((resolve, reject) => {
    image.onload = () => resolve();
    image.onerror = () => reject(new Error('the SVG could not be drawn'));
  });
  image.src = `data:image/svg+xml;base64,${btoa(unescape(encodeURIComponent(svgText)))}`;
  await loaded;
  // Bounded: a canvas over ~16k pixels a side fails in Chromium.
  const scale = Math.min(2, 16_000 / Math.max(image.width, image.height, 1));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(image.width * scale));
  canvas.height = Math.max(1, Math.round(image.height * scale));
  const context = canvas.getContext('2d');
  if (!context) throw new Error('no 2D canvas');
  context.scale(scale, scale);
  context.drawImage(image, 0, 0);
  return canvas.toDataURL('image/png').replace(/^data:image\/png;base64,/, '');
}
