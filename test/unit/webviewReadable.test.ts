// @vitest-environment happy-dom
/**
 * The tree reads at any depth and size: a 1,000-link chain is one row that opens flat, fifteen
 * identical Deferreds are one "×15" row that opens to its members, labels that differ only at
 * the end stay distinct (cut in the middle), indentation never takes the label's room, and
 * dragged column widths are kept in the view state across a reload; the header's "N rows"
 * counts Deferreds (a collapsed group or chain for all it stands for, detail lines not at all)
 * and a zero count is not in the error colour; ended sessions can be cleared.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeferredView } from '../../src/protocol/protocol';
import { restoreViewState } from '../../webview/host';
import { header, init, mount, pendingView, RecordingHost, rowEl, SESSION } from './builders';

const chain = (n: number): DeferredView[] =>
  Array.from({ length: n }, (_, i) =>
    pendingView(i + 1, { name: `links[${i}]`, ...(i < n - 1 ? { waitingOn: i + 2, called: true } : {}) }),
  );

const customers = (): DeferredView[] => {
  const members = Array.from({ length: 15 }, (_, i) => 2 + i);
  return [
    pendingView(1, { name: 'join', type: 'DeferredList', members }),
    ...members.map((id, i) =>
      pendingView(id, { label: `installation for Customer ${i + 1}`, created: { file: '/tale.py', line: 30, function: 'install' } }),
    ),
  ];
};

describe('a tree that reads at any depth', () => {
  it('shows a 1,000-link chain as one row, "chain of 1000 · root: …", whose links open flat', () => {
    const { root, send, app } = mount();
    send(init(chain(1000)));
    const rows = [...root.querySelectorAll<HTMLElement>('[role="treeitem"]')];
    expect(rows).toHaveLength(1);
    expect(rows[0].dataset.kind).toBe('chain');
    expect(rows[0].querySelector('.cell-label')!.textContent).toBe('chain of 1000');
    expect(rows[0].querySelector('.cell-meta')!.textContent).toBe('root: links[999]');
    expect(rows[0].querySelector('.cell-label')!.getAttribute('title')).toBe('chain of 1000 · root: links[999], pending');
    (rows[0].querySelector('.twistie') as HTMLElement).click();
    expect(app.rowModel.rows).toHaveLength(1001);
    expect(new Set(app.rowModel.rows.slice(1).map((r) => r.level))).toEqual(new Set([2]));
  });

  it('collapses fifteen identical Deferreds into ×15, expands them, and keeps their labels distinct', () => {
    const { root, send } = mount();
    send(init(customers()));
    const group = root.querySelector<HTMLElement>('[role="treeitem"][data-kind="group"]')!;
    expect(group.querySelector('.cell-label')!.textContent).toMatch(/^×15 /);
    expect(group.getAttribute('aria-expanded')).toBe('false');
    (group.querySelector('.twistie') as HTMLElement).click();
    const labels = [...root.querySelectorAll('[role="treeitem"][data-kind="deferred"] .cell-label')].map((e) => e.textContent);
    expect(labels).toHaveLength(16);
    expect(new Set(labels).size).toBe(16);
    expect(labels.at(-1)).toMatch(/15$/);
  });

  it('opens the chain or group a revealed Deferred is inside and selects its row (Show in Deferred Graph)', () => {
    const { send, app, runFrames } = mount();
    send(init([...chain(30), ...customers().map((d) => ({ ...d, id: d.id + 100, members: d.members?.map((m) => m + 100) ?? null }))]));
    send({ type: 'show', view: null, reveal: [7], select: true });
    runFrames();
    expect(app.tree.selectedKey).toBe('d7');
    expect(app.rowModel.rows.some((r) => r.kind === 'chain' && r.expanded)).toBe(true);
    send({ type: 'show', view: 'graph', reveal: [110], select: true });
    runFrames();
    expect(app.graph.dom.selectedKey).toBe('d102'); // the ×15 node stands for it in the graph
    send({ type: 'show', view: 'tree', reveal: [], select: false });
    runFrames();
    expect(app.tree.selectedKey).toBe('d110');
    expect(app.rowModel.rows.some((r) => r.kind === 'deferred' && r.d.id === 110)).toBe(true);
  });

  it('caps indentation so a deep row keeps most of its label column', () => {
    const { root, send } = mount();
    // A staircase the chain row does not flatten: each level nests a DeferredList of one.
    const deep = Array.from({ length: 40 }, (_, i) => pendingView(i + 1, { type: 'DeferredList', members: i < 39 ? [i + 2] : [] }));
    send(init(deep));
    const indents = [...root.querySelectorAll<HTMLElement>('[role="treeitem"] .cell-name')].map((e) =>
      Number.parseInt(e.style.paddingLeft, 10),
    );
    expect(Math.max(...indents)).toBeLessThanOrEqual(0.4 * 500 + 6);
  });

  it('keeps dragged column widths in the view state, restored after a reload', () => {
    const host = new RecordingHost();
    const { root, send, app } = mount(host);
    send(init(customers()));
    const handle = root.querySelector<HTMLElement>('.col-state .col-resize')!;
    handle.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }));
    app.saveNow();
    const saved = restoreViewState(host.state);
    expect(saved.columnWidths.state).toBeGreaterThan(0);
    expect(root.style.getPropertyValue('--columns')).toContain(`${saved.columnWidths.state}px`);
    expect(rowEl(root, 'd1')).toBeTruthy();
  });
});

describe('the header’s words', () => {
  const shown = (root: HTMLElement) => root.querySelector('.count-shown')!.textContent;

  it('"N rows" counts the Deferreds shown: all a collapsed row stands for, no detail line', () => {
    const { root, send, runFrames } = mount();
    send(init(customers()));
    runFrames();
    // join and the ×15 row of its members: 2 rows, 16 Deferreds.
    expect(root.querySelectorAll('[role="treeitem"]')).toHaveLength(2);
    expect(shown(root)).toBe('16 rows');
    const join = root.querySelector<HTMLElement>('[role="treeitem"][data-kind="deferred"]')!;
    (join.querySelector('.twistie') as HTMLElement).click();
    runFrames();
    // Closed, join shows neither its members nor its details: 1 Deferred.
    expect(shown(root)).toBe('1 rows');
    send(init(chain(1000)));
    runFrames();
    expect(shown(root)).toBe('1000 rows');
    (root.querySelector('[role="treeitem"][data-kind="chain"] .twistie') as HTMLElement).click();
    runFrames();
    expect(shown(root)).toBe('1000 rows');
  });

  it('offers "Clear ended" once a session has ended, and asks the host to forget them', () => {
    const { root, send, host } = mount();
    send(init([pendingView(1)]));
    const clear = root.querySelector<HTMLButtonElement>('button.clear-ended')!;
    expect(clear.hidden).toBe(true);
    send({ type: 'sessions', sessions: [{ ...SESSION, state: 'ended' }], activeSessionId: 's1' });
    expect(clear.hidden).toBe(false);
    clear.click();
    expect(host.posted.at(-1)).toEqual({ type: 'clearEnded' });
    send({ type: 'sessions', sessions: [], activeSessionId: null });
    expect(clear.hidden).toBe(true);
  });

  it('does not show a zero count in the error colour', () => {
    const { root, send, runFrames } = mount();
    send(init([pendingView(1)], { header: header({ pending: 1, failed: 0 }) }));
    runFrames();
    const failed = root.querySelector('.count-failed')!;
    expect(failed.textContent).toBe('0 failed');
    expect(failed.classList.contains('zero')).toBe(true);
    expect(failed.classList.contains('alarm')).toBe(false);
    send(init([pendingView(1)], { header: header({ pending: 1, failed: 2 }) }));
    runFrames();
    expect(failed.classList.contains('zero')).toBe(false);
    expect(failed.classList.contains('alarm')).toBe(true);
    // The stylesheet colours only an alarm count (above zero), never a count as such.
    const css = readFileSync(resolve('media/webview.css'), 'utf8');
    expect(css).toMatch(/\.count\.alarm \{ color: var\(--vscode-errorForeground\)/);
    expect(css).not.toMatch(/\.count-failed \{/);
  });
});
