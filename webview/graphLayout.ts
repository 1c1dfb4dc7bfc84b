/**
 * The graph's layout: a tidy tree, left to right, over the spanning forest graphModel.ts gives
 * (every Deferred has one place, as in the tree). Chosen by measurement over dagre and ELK
 * (bench/RESULTS-graph.md): the relations of a Twisted program are nearly a forest — a
 * Deferred waits on one other, a list's members belong to one list — so a layered layout's
 * crossing minimisation buys little, while this is O(n), places 10,000 nodes in a few
 * milliseconds, and is stable by construction: a node's place depends only on the nodes before
 * it in preorder and its own subtree, never on text or results, so a live update that changes
 * results moves nothing, and a new root is appended below the others.
 *
 * Pure and allocation-light, so the same function runs in the layout worker (layoutWorker.ts)
 * and, where no worker can be started (tests), inline.
 */

/** Node box and spacing, in SVG user units (CSS pixels at zoom 1). */
export const NODE_WIDTH = 232;
export const NODE_HEIGHT = 74;
/** Room between columns for the edge and its label. */
export const COLUMN_GAP = 88;
export const ROW_GAP = 14;

export interface LayoutInput {
  /** Parent index per node (-1: a root), each parent before its children (preorder). */
  parent: Int32Array;
  depth: Int32Array;
}

export interface LayoutResult {
  /** Left edge of each node's box. */
  x: Float64Array;
  /** Top edge of each node's box. */
  y: Float64Array;
  width: number;
  height: number;
}

/**
 * Leaves take consecutive rows in preorder; a parent sits level with the middle of its
 * children; columns are depths. Two nodes never overlap: rows are distinct for leaves, and a
 * parent lies strictly between its first and last child in a column only its subtree uses.
 */
export function tidyLayout({ parent, depth }: LayoutInput): LayoutResult {
  const n = parent.length;
  const rowHeight = NODE_HEIGHT + ROW_GAP;
  const columnWidth = NODE_WIDTH + COLUMN_GAP;
  const hasChildren = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (parent[i] >= 0) hasChildren[parent[i]] = 1;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const lo = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const hi = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
  let rows = 0;
  let maxDepth = 0;
  for (let i = 0; i < n; i++) {
    if (!hasChildren[i]) y[i] = rows++ * rowHeight;
    x[i] = depth[i] * columnWidth;
    if (depth[i] > maxDepth) maxDepth = depth[i];
  }
  for (let i = n - 1; i >= 0; i--) {
    if (hasChildren[i]) y[i] = (lo[i] + hi[i]) / 2;
    const p = parent[i];
    if (p >= 0) {
      if (y[i] < lo[p]) lo[p] = y[i];
      if (y[i] > hi[p]) hi[p] = y[i];
    }
  }
  return { x, y, width: n ? maxDepth * columnWidth + NODE_WIDTH : 0, height: rows ? rows * rowHeight - ROW_GAP : 0 };
}
