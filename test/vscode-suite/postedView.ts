/**
 * What the panel's webview holds, rebuilt from the messages the panel posted (the test API's
 * `onDidPostMessage`), folded the way webview/app.ts folds them: `init` and `full` replace the
 * rows, `sessions` naming another active session empties them, a `delta` for the active
 * session applies. The extension keeps no such copy itself: views live in the models.
 */
import type { DeferredView, GraphHeader, ToWebviewMessage } from '../../src/protocol/protocol';

export class PostedView {
  activeSessionId: string | null = null;
  header: GraphHeader | null = null;
  readonly rows = new Map<number, DeferredView>();

  fold(message: ToWebviewMessage): void {
    switch (message.type) {
      case 'init':
        this.replace(message.activeSessionId, message.header, message.deferreds);
        break;
      case 'sessions':
        if (message.activeSessionId !== this.activeSessionId) this.replace(message.activeSessionId, null, []);
        break;
      case 'full':
        this.replace(message.sessionId, message.header, message.deferreds);
        break;
      case 'delta':
        if (message.sessionId !== this.activeSessionId) return;
        this.header = message.header;
        for (const id of message.removed) this.rows.delete(id);
        for (const view of message.upserts) this.rows.set(view.id, view);
        break;
    }
  }

  private replace(sessionId: string | null, header: GraphHeader | null, deferreds: DeferredView[]): void {
    this.activeSessionId = sessionId;
    this.header = header;
    this.rows.clear();
    for (const view of deferreds) this.rows.set(view.id, view);
  }
}
