/**
 * The few DOM helpers the views share. Text only ever goes in through `textContent`, never
 * markup: every string may come from the debugged program.
 */

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = cls;
  return e;
}

export function span(cls: string, text: string, title?: string): HTMLSpanElement {
  const e = el('span', cls);
  e.textContent = text;
  if (title) e.title = title;
  return e;
}

/** Sets text only when it changed: views are updated every frame while a program runs. */
export function setText(target: HTMLElement, text: string): void {
  if (target.textContent !== text) target.textContent = text;
}

/** Follows a drag: `move` for each pointer move until the button is released. */
export function trackPointer(move: (e: PointerEvent) => void): void {
  const up = (): void => {
    window.removeEventListener('pointermove', move);
    window.removeEventListener('pointerup', up);
  };
  window.addEventListener('pointermove', move);
  window.addEventListener('pointerup', up);
}

/** Calls `changed` with the element's content box whenever it resizes (where ResizeObserver exists). */
export function observeSize(target: Element, changed: (rect: DOMRectReadOnly) => void): void {
  if (typeof ResizeObserver !== 'function') return;
  new ResizeObserver((entries) => changed(entries[entries.length - 1].contentRect)).observe(target);
}
