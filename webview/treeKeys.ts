/**
 * The tree's keyboard, as the ARIA tree pattern has it: ↑/↓, Home/End and PageUp/PageDown move
 * the selection; → opens a row (or its details, or steps into it); ← closes it or goes to its
 * parent; Enter/Space toggles a row, follows a reference or opens a detail's location.
 */
import type { DetailSegment } from '../src/model/view';
import { type DetailRow, isSummary, type Row, type SummaryRow } from './treeStructure';

/** What the keys act on (the TreeDom). */
export interface TreeKeyTarget {
  readonly rows: Row[];
  readonly actions: { toggle(id: number, expand: boolean): void; reveal(id: number): void };
  selectedIndex(): number;
  select(key: string): void;
  pageRows(): number;
  toggleRow(row: SummaryRow, expand: boolean): void;
  segments(row: DetailRow): DetailSegment[];
  activateSegment(seg: DetailSegment | undefined): boolean;
}

export function onTreeKey(e: KeyboardEvent, tree: TreeKeyTarget): void {
  const count = tree.rows.length;
  if (count === 0) return;
  const index = tree.selectedIndex();
  const row = index >= 0 ? tree.rows[index] : undefined;
  const page = tree.pageRows();
  const go = (i: number): void => tree.select(tree.rows[Math.max(0, Math.min(count - 1, i))].key);
  switch (e.key) {
    case 'ArrowDown':
      go(index + 1);
      break;
    case 'ArrowUp':
      go(index < 0 ? 0 : index - 1);
      break;
    case 'Home':
      go(0);
      break;
    case 'End':
      go(count - 1);
      break;
    case 'PageDown':
      go(index + page);
      break;
    case 'PageUp':
      go(index - page);
      break;
    case 'ArrowRight':
      // Expands a closed row, or adds the details to one open only for its nested Deferreds.
      if (row?.kind === 'deferred' && !(row.expanded && row.details)) tree.actions.toggle(row.d.id, true);
      else if (isSummary(row) && row.kind !== 'deferred' && !row.expanded) tree.toggleRow(row, true);
      else if (row && tree.rows[index + 1]?.parentKey === row.key) go(index + 1);
      break;
    case 'ArrowLeft':
      if (isSummary(row) && row.expanded) tree.toggleRow(row, false);
      else if (row?.parentKey) tree.select(row.parentKey);
      break;
    case 'Enter':
    case ' ':
      if (isSummary(row)) tree.toggleRow(row, !row.expanded);
      else if (row?.kind === 'ref') tree.actions.reveal(row.targetId);
      else if (row?.kind === 'detail') tree.activateSegment(tree.segments(row).find((s) => s.location || s.target != null));
      break;
    default:
      return;
  }
  e.preventDefault();
}
