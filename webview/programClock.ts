/**
 * The program's clock as the webview knows it, for "only stuck" (viewWhy.ts `isStuck`:
 * unchanged for N seconds): the time of the newest event the model applied (GraphHeader.clock;
 * at a stop, the stop's own snapshot, so time spent paused never counts), run on by the
 * webview's own clock while the program runs — a hung program sends nothing, and its
 * Deferreds must still turn stuck.
 */
import type { GraphHeader } from '../src/protocol/protocol';

/** While the program runs, "only stuck" is looked at again this often: time passes without events. */
export const STUCK_RECHECK_MS = 1000;

export interface ClockHost {
  /** The app's monotonic milliseconds. */
  now(): number;
  /** The rows must be filtered again before they are drawn. */
  requestRebuild(): void;
  /** Draw again later (with a rebuild): the clock has moved on. */
  recheck(): void;
}

export class ProgramClock {
  private at: { clock: number; received: number } | null = null;
  /** The clock the rows were last filtered against, null: not filtered by it. */
  private filteredAt: number | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly host: ClockHost) {}

  /** A header arrived: a new clock reading starts counting from now. */
  note(header: GraphHeader | null): void {
    const clock = typeof header?.clock === 'number' && Number.isFinite(header.clock) ? header.clock : null;
    if (clock === null) this.at = null;
    else if (clock !== this.at?.clock) this.at = { clock, received: this.host.now() };
  }

  /** The program's time now, or null before any event. */
  read(running: boolean): number | null {
    if (!this.at) return null;
    return running ? this.at.clock + Math.max(0, this.host.now() - this.at.received) : this.at.clock;
  }

  /**
   * The clock to filter the rows against this frame. With "only stuck" on, a new reading
   * refilters every row (one that did not change can turn stuck); while running, at most once
   * per {@link STUCK_RECHECK_MS} — between, rows are patched against the clock they were
   * filtered with, so a patch and a rebuild never disagree.
   */
  forRows(onlyStuck: boolean, running: boolean): number | null {
    const clock = this.read(running);
    if (!onlyStuck || clock === null) {
      this.filteredAt = null;
      return clock;
    }
    const moved = this.filteredAt === null || (running ? Math.abs(clock - this.filteredAt) >= STUCK_RECHECK_MS : clock !== this.filteredAt);
    if (moved) {
      this.host.requestRebuild();
      this.filteredAt = clock;
    }
    if (running && this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.host.recheck();
      }, STUCK_RECHECK_MS);
    }
    return this.filteredAt;
  }
}
