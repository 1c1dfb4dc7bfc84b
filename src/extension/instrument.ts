/**
 * "Instrument the Paused Python Program Now": for sessions the extension could not inject into
 * (attach, programs started elsewhere), load the runtime through DAP `evaluate` at a stop. The
 * view then says plainly that Deferreds created before that moment are missing.
 */
import * as vscode from 'vscode';
import * as notices from './notices';
import type { SessionManager, SessionRecord } from './sessions';
import { topFrameId } from './stopSnapshots';

/** A Python expression that puts `packageDir` on sys.path and installs the runtime. */
export function instrumentExpression(packageDir: string): string {
  // JSON string syntax is valid Python string syntax for any path.
  const dir = JSON.stringify(packageDir);
  return (
    `(__import__('sys').path.insert(0, ${dir}) if ${dir} not in __import__('sys').path else None, ` +
    "__import__('deferred_graph').install())[1]"
  );
}

/** The paused session the user is looking at: the focused frame's, else the active one. */
function pausedRecord(sessions: SessionManager): SessionRecord | undefined {
  const focused = vscode.debug.activeStackItem?.session ?? vscode.debug.activeDebugSession;
  const record = focused ? sessions.get(focused.id) : undefined;
  if (record?.state === 'stopped') return record;
  return sessions
    .summaries()
    .map((summary) => sessions.get(summary.id))
    .find((candidate) => candidate?.state === 'stopped');
}

/** The frame the user selected in this session, else the top frame of the stopped thread. */
async function selectedFrame(record: SessionRecord): Promise<number | null> {
  const item = vscode.debug.activeStackItem;
  if (item instanceof vscode.DebugStackFrame && item.session.id === record.session.id) {
    return item.frameId;
  }
  const threadId = record.stops.stoppedThreadId;
  return threadId !== null ? topFrameId(record.session, threadId) : null;
}

export async function instrumentPausedSession(sessions: SessionManager, packageDir: string): Promise<boolean> {
  const record = pausedRecord(sessions);
  if (!record) {
    notices.explainNoStoppedSession();
    return false;
  }
  const frameId = await selectedFrame(record);
  if (frameId === null) {
    notices.explainNoStoppedSession();
    return false;
  }
  try {
    await record.session.customRequest('evaluate', {
      expression: instrumentExpression(packageDir),
      frameId,
      context: 'repl',
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    void vscode.window.showErrorMessage(`Deferred Graph: could not load the runtime: ${reason}`);
    return false;
  }
  sessions.setNotice(record, notices.lateInstrumentNotice(), 'sticky');
  record.stops.snapshotFrame(frameId, true);
  return true;
}
