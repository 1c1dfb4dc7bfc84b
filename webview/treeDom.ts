/**
 * The tree's DOM, virtualised, as an ARIA tree: a scroll container whose height stands for every row while only
 * the rows in (and just around) the viewport exist in the DOM, all of one fixed height, so
 * 10,000 Deferreds cost the same to draw as forty. Focus stays on the tree element and
 * `aria-activedescendant` names the selected row, which is always kept rendered.
 *
 * Every debuggee string is set with `textContent`; row elements are reused and only rewritten
 * when their text changes, so a click on a row is not lost to a live update.
 */

import {
  chainWords,
  type DetailSegment,
  detailLines,
  displayName,
  groupText,
  isOrphan,
  knownStatus,
  refName,
  rowWhy,
  whyKind,
} from '../src/model/view';
import type { DeferredView } from '../src/protocol/protocol';
import { observeSize, span } from './dom';
import { deferredCells, middleCut, safeText, tooltipText } from './format';
import { onTreeKey } from './treeKeys';
import { fillSummaryRow } from './treeRow';
import { type DetailRow, isSummary, type RefRow, type Row, type SummaryRow } from './treeStructure';

export const ROW_HEIGHT = 22;
const OVERSCAN = 10;
/** Indentation stops growing here: a 10,000-link chain must stay readable. */
const MAX_INDENT_LEVELS = 32;
const FALLBACK_VIEWPORT = 600;
const INDENT_PX = 14;
/** Average width of a bold label character, to know how much of a label fits its column. */
const LABEL_CHAR_PX = 7.5;
/** Indentation takes at most this share of the label column, so a deep row keeps its label. */
const MAX_INDENT_SHARE = 0.4;

export interface TreeActions {
  toggle(id: number, expand: boolean): void;
  openLocation(file: string, line: number): void;
  reveal(id: number): void;
  /** Opens or closes a group or chain row (by its key). */
  toggleKey(key: string, expand: boolean): void;
  changed(): void;
  /** A row was selected (the graph follows). */
  selected?(key: string): void;
}

function rowDomId(key: string): string {
  return `dg-row-${key}`;
}

export class TreeDom {
  readonly element: HTMLElement;
  private readonly spacer: HTMLElement;
  rows: Row[] = [];
  private lastSelectedIndex = -1;
  /** Detail lines built this frame, per Deferred (only for detail rows in view). */
  private details = new Map<DeferredView, DetailSegment[][]>();
  private lookup: (id: number) => DeferredView | undefined = () => undefined;
  private readonly elements = new Map<string, { el: HTMLElement; signature: string }>();
  selectedKey: string | null = null;
  /**
   * Scroll offset and viewport height, cached from scroll events and a ResizeObserver: reading
   * them from the element after a DOM change would force a synchronous layout every frame.
   */
  private top = 0;
  private height = 0;
  private width = 0;
  /** Width of the label column in px (the app sets it from the column layout). */
  labelColumnPx = 0;

  constructor(readonly actions: TreeActions) {
    this.element = document.createElement('div');
    this.element.className = 'tree';
    this.element.setAttribute('role', 'tree');
    this.element.setAttribute('aria-label', 'Deferreds');
    this.element.tabIndex = 0;
    this.spacer = document.createElement('div');
    this.spacer.className = 'tree-spacer';
    this.spacer.setAttribute('role', 'none');
    this.element.append(this.spacer);
    this.element.addEventListener('scroll', () => {
      this.top = this.element.scrollTop;
      this.render();
      this.actions.changed();
    });
    observeSize(this.element, (rect) => {
      this.height = rect.height;
      this.width = rect.width;
      this.render();
    });
    this.element.addEventListener('keydown', (e) => onTreeKey(e, this));
    this.element.addEventListener('click', (e) => this.onClick(e));
    this.element.addEventListener('dblclick', (e) => {
      const row = this.rowAt(e.target);
      if (isSummary(row)) this.toggleRow(row, !row.expanded);
    });
  }

  toggleRow(row: SummaryRow, expand: boolean): void {
    if (row.kind === 'deferred') this.actions.toggle(row.d.id, expand);
    else this.actions.toggleKey(row.key, expand);
  }

  /** Pixels of indentation for a row at `level`: capped so the label column keeps most of its width. */
  private indentPx(level: number): number {
    const column = this.labelPx();
    const cap = Math.max(2, Math.min(MAX_INDENT_LEVELS, Math.floor((column * MAX_INDENT_SHARE) / INDENT_PX)));
    return 6 + Math.min(level - 1, cap) * INDENT_PX;
  }

  private labelPx(): number {
    return this.labelColumnPx || Math.max(120, ((this.width || 900) * 3) / 8);
  }

  get scrollTop(): number {
    return this.top;
  }

  scrollTo(top: number): void {
    this.element.scrollTop = top;
    this.top = this.element.scrollTop;
    this.render();
  }

  /** Rows a PageUp/PageDown moves by. */
  pageRows(): number {
    return Math.max(1, Math.floor(this.viewportHeight() / ROW_HEIGHT) - 1);
  }

  private viewportHeight(): number {
    if (this.height <= 0) this.height = this.element.clientHeight;
    return this.height || FALLBACK_VIEWPORT;
  }

  setRows(rows: Row[], lookup: (id: number) => DeferredView | undefined): void {
    this.rows = rows;
    this.lookup = lookup;
    this.details = new Map();
    this.spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
    this.render();
  }

  /** Draws the rows in the viewport; removes the rest. */
  render(): void {
    const top = this.top;
    const height = this.viewportHeight();
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.rows.length, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    const wanted = new Set<string>();
    for (let i = first; i < last; i++) wanted.add(this.rows[i].key);
    const selectedIndex = this.selectedIndex();
    if (selectedIndex >= 0) wanted.add(this.rows[selectedIndex].key);
    for (const [key, entry] of this.elements) {
      if (!wanted.has(key)) {
        entry.el.remove();
        this.elements.delete(key);
      }
    }
    for (let i = first; i < last; i++) this.draw(i);
    if (selectedIndex >= 0 && (selectedIndex < first || selectedIndex >= last)) this.draw(selectedIndex);
    if (selectedIndex >= 0) this.element.setAttribute('aria-activedescendant', rowDomId(this.rows[selectedIndex].key));
    else this.element.removeAttribute('aria-activedescendant');
  }

  selectedIndex(): number {
    if (this.selectedKey == null) return -1;
    if (this.rows[this.lastSelectedIndex]?.key !== this.selectedKey) this.lastSelectedIndex = this.indexOf(this.selectedKey);
    return this.lastSelectedIndex;
  }

  private indexOf(key: string): number {
    return this.rows.findIndex((r) => r.key === key);
  }

  segments(row: DetailRow): DetailSegment[] {
    let lines = this.details.get(row.d);
    if (!lines) {
      // Made safe once per frame here, not on every use below (signature, draw, click).
      lines = detailLines(row.d, this.lookup).map((line) => line.map((seg) => ({ ...seg, text: safeText(seg.text) })));
      this.details.set(row.d, lines);
    }
    return lines[row.line] ?? [];
  }

  /** Selects a row and scrolls it into view. */
  select(key: string): void {
    const index = this.indexOf(key);
    if (index < 0) return;
    this.selectedKey = key;
    const height = this.viewportHeight();
    const rowTop = index * ROW_HEIGHT;
    if (rowTop < this.top) this.scrollTo(rowTop);
    else if (rowTop + ROW_HEIGHT > this.top + height) this.scrollTo(rowTop + ROW_HEIGHT - height);
    else this.render();
    this.actions.selected?.(key);
    this.actions.changed();
  }

  /** Draws one row; a row whose data cannot be drawn says so instead of stopping the frame. */
  private draw(index: number): void {
    const row = this.rows[index];
    let entry = this.elements.get(row.key);
    if (!entry) {
      entry = { el: document.createElement('div'), signature: '' };
      entry.el.setAttribute('role', 'treeitem');
      entry.el.id = rowDomId(row.key);
      this.elements.set(row.key, entry);
      this.spacer.append(entry.el);
    }
    const el = entry.el;
    // Set only on change: this runs for every row in view on every frame.
    if (el.dataset.index !== String(index)) {
      el.dataset.index = String(index);
      el.style.top = `${index * ROW_HEIGHT}px`;
    }
    if (el.dataset.key !== row.key) el.dataset.key = row.key;
    try {
      this.drawRow(index, entry);
    } catch {
      entry.signature = '';
      el.dataset.kind = 'broken';
      el.className = 'row row-broken';
      el.textContent = '⚠ this row could not be drawn from the data received';
    }
  }

  private drawRow(index: number, entry: { el: HTMLElement; signature: string }): void {
    const row = this.rows[index];
    const selected = row.key === this.selectedKey;
    const parts = this.texts(row);
    const signature = `${index}|${row.level}|${row.posinset}/${row.setsize}|${selected}|${isSummary(row) ? `${row.expanded}${row.kind === 'deferred' && row.details}` : ''}|${parts.join('\u0000')}`;
    if (entry.signature === signature) return;
    entry.signature = signature;
    const el = entry.el;
    // A Deferred row is a grid whose columns line up across rows: its indent goes inside the
    // first cell. Other rows indent as a whole.
    const indent = `${this.indentPx(row.level)}px`;
    el.style.paddingLeft = isSummary(row) ? '0' : indent;
    el.setAttribute('aria-level', String(row.level));
    el.setAttribute('aria-posinset', String(row.posinset));
    el.setAttribute('aria-setsize', String(row.setsize));
    el.setAttribute('aria-selected', String(selected));
    if (isSummary(row)) {
      el.setAttribute('aria-expanded', String(row.expanded));
      el.dataset.id = String(row.d.id);
      el.dataset.status = knownStatus(row.d);
    } else {
      el.removeAttribute('aria-expanded');
      delete el.dataset.id;
      delete el.dataset.status;
    }
    if (isSummary(row)) fillSummaryRow(el, row, parts, indent, this.lookup);
    else el.replaceChildren(...(row.kind === 'ref' ? this.refCells(row, parts) : this.detailCells(row)));
    el.dataset.kind = row.kind;
    el.className = `row row-${row.kind}${isSummary(row) ? ' row-summary' : ''}${selected ? ' selected' : ''}${isSummary(row) ? ` status-${knownStatus(row.d)}${row.d.collected ? ' collected' : ''}${isOrphan(row.d) ? ' orphan' : ''}` : ''}`;
  }

  /** The texts a row shows (also its change signature). */
  private texts(row: Row): string[] {
    if (isSummary(row)) {
      const d = row.d;
      const cells = deferredCells(d, this.lookup);
      // Cut in the middle to what fits the label column after the indentation.
      const fits = Math.max(8, Math.floor((this.labelPx() - this.indentPx(row.level) - 44) / LABEL_CHAR_PX));
      const chain = row.kind === 'chain' ? chainWords(row.run.length, d) : null;
      const label = chain
        ? chain.label
        : `${row.kind === 'group' ? `${groupText(row.members.length)} ` : ''}${middleCut(displayName(d), fits)}`;
      const meta = chain ? middleCut(chain.meta, Math.max(12, fits - chain.label.length + 4)) : cells.meta;
      const why = rowWhy(d);
      const marks = `${d.unhandledFailure ? 'u' : ''}${isOrphan(d) ? 'o' : ''}${d.running ? 'r' : ''}`;
      return [label, meta, cells.state, cells.result, cells.callbacks, row.relation ?? '', marks, why ? whyKind(why) : ''];
    }
    if (row.kind === 'ref') return [safeText(refName(row.targetId, this.lookup)), row.relation ?? ''];
    return this.segments(row).map((s) => s.text);
  }

  private refCells(row: RefRow, [name, relation]: string[]): HTMLElement[] {
    const link = span('link', name);
    link.dataset.target = String(row.targetId);
    const cells = [
      span('twistie', ''),
      span('icon codicon codicon-references', ''),
      span('muted', 'see '),
      link,
      span('muted', ' (shown elsewhere)'),
    ];
    if (relation) cells.push(span(`badge relation-${relation}`, relation));
    return cells;
  }

  private detailCells(row: DetailRow): HTMLElement[] {
    const cells: HTMLElement[] = [span('twistie', '')];
    this.segments(row).forEach((seg: DetailSegment, i) => {
      const cls = seg.location || seg.target != null ? 'link' : seg.muted ? 'muted' : 'detail-text';
      const el = span(cls, seg.text, seg.full === undefined ? undefined : tooltipText(seg.full));
      if (seg.location || seg.target != null) el.dataset.seg = String(i);
      cells.push(el);
    });
    return cells;
  }

  private rowAt(target: EventTarget | null): Row | undefined {
    const el = (target as HTMLElement | null)?.closest?.('[role="treeitem"]') as HTMLElement | null;
    const row = el ? this.rows[Number(el.dataset.index)] : undefined;
    return row && row.key === el?.dataset.key ? row : undefined;
  }

  /** Performs a segment's action: open its location or reveal its Deferred. */
  activateSegment(seg: DetailSegment | undefined): boolean {
    if (!seg) return false;
    if (seg.location) this.actions.openLocation(seg.location.file, seg.location.line);
    else if (seg.target != null) this.actions.reveal(seg.target);
    else return false;
    return true;
  }

  private onClick(e: MouseEvent): void {
    const row = this.rowAt(e.target);
    if (!row) return;
    const target = e.target as HTMLElement;
    this.select(row.key);
    this.element.focus();
    if (row.kind === 'detail' && target.dataset.seg !== undefined) this.activateSegment(this.segments(row)[Number(target.dataset.seg)]);
    else if (row.kind === 'ref' && target.dataset.target !== undefined) this.actions.reveal(row.targetId);
    else if (isSummary(row) && target.classList.contains('twistie')) this.toggleRow(row, !row.expanded);
  }
}
