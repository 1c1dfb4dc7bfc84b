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
