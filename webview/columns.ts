/**
 * The tree's column header, and the column widths every Deferred row shares (one CSS grid,
 * `--columns` on the app). The state and result columns can be dragged wider or narrower by
 * the handle at their left edge (or with ←/→ on a focused handle); the widths are kept in the
 * view state, so they survive a reload. The label column takes what is left, and the tree is
 * told its width, so labels are cut in the middle to exactly what fits.
 */
import { el, observeSize, trackPointer } from './dom';
import type { ViewState } from './host';

type Resizable = 'state' | 'result';

const MIN_PX = 32;
const KEY_STEP_PX = 16;

export class ColumnHeader {
  readonly element = el('div', 'columns');
  private readonly label = el('span', 'col-label');

  constructor(
    private readonly root: HTMLElement,
    private readonly view: ViewState,
    private readonly changed: (labelPx: number) => void,
  ) {
    this.label.textContent = 'Deferred';
    const cells: HTMLElement[] = [this.label];
    for (const [column, text] of [
      ['state', 'State'],
      ['result', 'Result'],
    ] as const) {
      const cell = el('span', `col-${column}`);
      const handle = el('span', 'col-resize');
      handle.setAttribute('role', 'separator');
      handle.setAttribute('aria-orientation', 'vertical');
      handle.setAttribute('aria-label', `Resize the ${text} column`);
      handle.tabIndex = 0;
      handle.addEventListener('pointerdown', (e) => this.drag(e, column, cell));
      handle.addEventListener('keydown', (e) => {
        const step = e.key === 'ArrowLeft' ? KEY_STEP_PX : e.key === 'ArrowRight' ? -KEY_STEP_PX : 0;
        if (!step) return;
        e.preventDefault();
        this.setWidth(column, cell.getBoundingClientRect().width + step);
      });
      cell.append(handle, document.createTextNode(text));
      cells.push(cell);
    }
    const callbacks = el('span', 'col-callbacks');
    callbacks.textContent = 'Callbacks';
    callbacks.title = 'Pending callback pairs, len(d.callbacks)';
    cells.push(callbacks);
    this.element.append(...cells);
    observeSize(this.label, () => this.changed(this.label.getBoundingClientRect().width));
    this.apply();
  }

  /** Dragging the handle left widens the column (its right edge stays where it is). */
  private drag(start: PointerEvent, column: Resizable, cell: HTMLElement): void {
    start.preventDefault();
    const startX = start.clientX;
    const startWidth = cell.getBoundingClientRect().width;
    trackPointer((e) => this.setWidth(column, startWidth + (startX - e.clientX)));
  }

  setWidth(column: Resizable, px: number): void {
    const max = Math.max(MIN_PX, this.root.getBoundingClientRect().width * 0.6);
    this.view.columnWidths[column] = Math.round(Math.max(MIN_PX, Math.min(max, px)));
    this.apply();
  }

  /** Writes the grid the header and every row share; a column not dragged keeps its default share. */
  apply(): void {
    const { state, result } = this.view.columnWidths;
    if (state === null && result === null) this.root.style.removeProperty('--columns');
    else {
      const s = state === null ? 'minmax(5em, 3.4fr)' : `${state}px`;
      const r = result === null ? 'minmax(4em, 1.6fr)' : `${result}px`;
      this.root.style.setProperty('--columns', `minmax(6em, 3fr) ${s} ${r} var(--callbacks-width)`);
    }
    this.changed(this.label.getBoundingClientRect().width);
  }
}
