/**
 * The strip above the tree: which session (a picker when there are several), the counts the
 * model keeps, dropped events, the session's notice (why the view may be incomplete and how to
 * fix it), protocol errors, and the filter/search controls. Built once; `update` only rewrites
 * text, so typing in the search box is never interrupted by live data.
 */
import { ORPHAN_HINT, STUCK_FILTER_HINT, STUCK_FILTER_TEXT, UNHANDLED_NOW_TEXT } from '../src/model/view';
import type { GraphHeader, SessionSummary } from '../src/protocol/protocol';
import { el, setText } from './dom';
import { safeText, tooltipText } from './format';
import type { ViewState } from './host';

export interface HeaderActions {
  selectSession(id: string): void;
  filtersChanged(): void;
  /** The user switched between the tree and the graph. */
  setMode(mode: 'tree' | 'graph'): void;
  /** Forget the ended sessions. */
  clearEnded(): void;
}

export interface HeaderData {
  sessions: SessionSummary[];
  activeSessionId: string | null;
  header: GraphHeader | null;
  error: string | null;
  shown: number;
}

const COUNTS = ['pending', 'fired', 'failed', 'unhandled', 'orphans', 'collected'] as const;
/** Counts that stand for a bug or a Failure: drawn as an alarm, but only when not zero. */
const ALARMS: ReadonlySet<string> = new Set(['failed', 'unhandled', 'orphans']);
const COUNT_TITLES: Partial<Record<(typeof COUNTS)[number], string>> = { unhandled: UNHANDLED_NOW_TEXT, orphans: ORPHAN_HINT };
/** "1 orphan", "2 orphans"; the other counts read as adjectives ("3 fired"). */
const countText = (name: string, n: number): string => (name === 'orphans' && n === 1 ? '1 orphan' : `${n} ${name}`);

function checkbox(text: string, onChange: (checked: boolean) => void): { label: HTMLLabelElement; input: HTMLInputElement } {
  const label = el('label', 'toggle');
  const input = el('input', '');
  input.type = 'checkbox';
  input.addEventListener('change', () => onChange(input.checked));
  label.append(input, document.createTextNode(` ${text}`));
  return { label, input };
}

export class HeaderView {
  readonly element: HTMLElement;
  private readonly sessionName = el('span', 'session-name');
  private readonly sessionPicker = el('select', 'session-picker');
  private readonly sessionState = el('span', 'badge session-state');
  private readonly clearEnded = el('button', 'clear-ended');
  private readonly counts = new Map<string, HTMLElement>();
  private readonly shownCount = el('span', 'count count-shown');
  private readonly ephemeral = el('span', 'count count-ephemeral');
  private readonly dropped = el('span', 'dropped');
  private readonly marker = el('span', 'marker');
  private readonly notice = el('div', 'notice');
  private readonly error = el('div', 'error');
  private readonly search = el('input', 'search');
  private readonly hideFired: ReturnType<typeof checkbox>;
  private readonly hideCollected: ReturnType<typeof checkbox>;
  private readonly onlyStuck: ReturnType<typeof checkbox>;
  private readonly modeButtons = new Map<'tree' | 'graph', HTMLButtonElement>();

  constructor(
    private readonly view: ViewState,
    actions: HeaderActions,
  ) {
    this.element = el('header', 'header');
    this.sessionPicker.setAttribute('aria-label', 'Debug session');
    this.sessionPicker.addEventListener('change', () => actions.selectSession(this.sessionPicker.value));
    const session = el('div', 'session');
    this.clearEnded.type = 'button';
    this.clearEnded.textContent = 'Clear ended';
    this.clearEnded.title = 'Forget the sessions that have ended (the last few are kept until then)';
    this.clearEnded.addEventListener('click', () => actions.clearEnded());
    session.append(el('span', 'codicon codicon-debug-alt'), this.sessionName, this.sessionPicker, this.sessionState, this.clearEnded);

    const counts = el('div', 'counts');
    counts.setAttribute('aria-live', 'off');
    for (const name of COUNTS) {
      const value = el('span', `count count-${name}`);
      value.dataset.count = name;
      value.title = COUNT_TITLES[name] ?? '';
      this.counts.set(name, value);
      counts.append(value);
    }
    this.shownCount.dataset.count = 'shown';
    this.ephemeral.dataset.count = 'ephemeral';
    this.ephemeral.title = 'Deferreds created and collected between two updates: counted, not listed.';
    counts.append(this.ephemeral, this.shownCount, this.dropped, this.marker);

    this.notice.setAttribute('role', 'status');
    this.error.setAttribute('role', 'alert');

    const tools = el('div', 'tools');
    this.search.type = 'search';
    this.search.placeholder = 'Search label or function';
    this.search.setAttribute('aria-label', 'Search Deferreds by label or function');
    this.search.value = view.search;
    this.search.addEventListener('input', () => {
      view.search = this.search.value.slice(0, 200);
      actions.filtersChanged();
    });
    this.hideFired = checkbox('Hide fired', (checked) => {
      view.hideFired = checked;
      actions.filtersChanged();
    });
    this.hideCollected = checkbox('Hide collected', (checked) => {
      view.hideCollected = checked;
      actions.filtersChanged();
    });
    this.onlyStuck = checkbox(STUCK_FILTER_TEXT, (checked) => {
      view.onlyStuck = checked;
      actions.filtersChanged();
    });
    this.onlyStuck.label.title = STUCK_FILTER_HINT;
    this.onlyStuck.label.classList.add('only-stuck');
    const modes = el('div', 'mode-switch');
    modes.setAttribute('role', 'group');
    modes.setAttribute('aria-label', 'View');
    for (const [mode, text, icon] of [
      ['tree', 'Tree', 'codicon-list-tree'],
      ['graph', 'Graph', 'codicon-type-hierarchy'],
    ] as const) {
      const b = el('button', `mode-button mode-${mode}`);
      b.type = 'button';
      b.append(el('span', `codicon ${icon}`), document.createTextNode(` ${text}`));
      b.title = mode === 'graph' ? 'Show as graph' : 'Show as tree';
      b.addEventListener('click', () => actions.setMode(mode));
      this.modeButtons.set(mode, b);
      modes.append(b);
    }
    tools.append(modes, this.search, this.hideFired.label, this.hideCollected.label, this.onlyStuck.label);

    const top = el('div', 'header-top');
    top.append(session, counts);
    this.element.append(top, this.notice, this.error, tools);
    this.syncControls();
  }

  update(data: HeaderData): void {
    const active = data.sessions.find((s) => s.id === data.activeSessionId) ?? null;
    this.updateSessions(data.sessions, active);
    const h = data.header;
    for (const name of COUNTS) {
      const value = this.counts.get(name)!;
      const n = h ? Number(h[name]) || 0 : 0;
      setText(value, h ? countText(name, n) : '');
      // "0 failed" is no alarm: the alarm colour is for failures and orphans above zero.
      value.classList.toggle('zero', n === 0);
      value.classList.toggle('alarm', ALARMS.has(name) && n > 0);
    }
    setText(this.shownCount, h ? `${data.shown} rows` : '');
    const ephemeral = h ? Number(h.ephemeral) || 0 : 0;
    setText(this.ephemeral, ephemeral > 0 ? `${ephemeral} short-lived` : '');
    const dropped = h ? Number(h.dropped) || 0 : 0;
    setText(this.dropped, dropped > 0 ? `${dropped} events dropped` : '');
    this.dropped.title = dropped > 0 ? 'The runtime could not send everything; the view resyncs at the next stop or snapshot.' : '';
    setText(this.marker, h?.lastMarker ? `mark: ${safeText(h.lastMarker, 80)}` : '');
    const notice = active?.notice ?? (data.sessions.length === 0 ? 'No Python debug session. Start one to see its Deferreds here.' : null);
    this.show(this.notice, notice);
    this.show(this.error, data.error ?? h?.error ?? null);
  }

  private show(target: HTMLElement, text: string | null): void {
    setText(target, text ? safeText(text, 600) : '');
    target.title = text ? tooltipText(text) : '';
    target.hidden = !text;
  }

  private updateSessions(sessions: SessionSummary[], active: SessionSummary | null): void {
    const several = sessions.length > 1;
    this.sessionPicker.hidden = !several;
    this.sessionName.hidden = several;
    setText(this.sessionName, active ? safeText(active.name, 120) : 'No session');
    setText(this.sessionState, active ? safeText(active.state, 20) : '');
    this.sessionState.hidden = !active;
    this.clearEnded.hidden = !sessions.some((s) => s.state === 'ended');
    if (several) {
      const signature = sessions.map((s) => `${s.id}\u0000${s.name}\u0000${s.pid}`).join('\u0001');
      if (this.sessionPicker.dataset.signature !== signature) {
        this.sessionPicker.dataset.signature = signature;
        this.sessionPicker.replaceChildren(
          ...sessions.map((s) => {
            const option = document.createElement('option');
            option.value = s.id;
            option.textContent = `${s.parentId ? '↳ ' : ''}${safeText(s.name, 120)}${s.pid != null ? ` (pid ${s.pid})` : ''}`;
            return option;
          }),
        );
      }
      if (active) this.sessionPicker.value = active.id;
    }
  }

  /** Keeps the controls in step with a restored view state. */
  syncControls(): void {
    for (const [mode, b] of this.modeButtons) b.setAttribute('aria-pressed', String(this.view.mode === mode));
    this.search.value = this.view.search;
    this.hideFired.input.checked = this.view.hideFired;
    this.hideCollected.input.checked = this.view.hideCollected;
    this.onlyStuck.input.checked = this.view.onlyStuck;
  }
}
