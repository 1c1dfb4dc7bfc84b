/**
 * What the panel does for the user outside the webview: open a source location, save the
 * exported graph picture, find the Deferred behind a debugger variable ("Show in Deferred
 * Graph" in the Variables and Watch views), and choose where the panel opens — an existing
 * editor group beside the editor, or the one the user last moved it to, never a new narrow
 * group of its own accord.
 */
import * as vscode from 'vscode';

/** Opens a debuggee source location; the path comes from the runtime, so it is checked first. */
export async function openLocation(file: unknown, line: unknown): Promise<void> {
  if (typeof file !== 'string' || file === '' || typeof line !== 'number') return;
  const lineIndex = Math.max(0, Math.floor(line) - 1);
  try {
    const document = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    const position = new vscode.Position(Math.min(lineIndex, document.lineCount - 1), 0);
    await vscode.window.showTextDocument(document, {
      viewColumn: vscode.ViewColumn.One,
      selection: new vscode.Range(position, position),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    void vscode.window.showWarningMessage(`Deferred Graph: cannot open ${file}: ${reason}`);
  }
}

/** Saves an exported picture where the user chooses: SVG text, or a PNG sent as base64. */
export async function saveExportedImage(format: unknown, data: unknown): Promise<void> {
  if ((format !== 'svg' && format !== 'png') || typeof data !== 'string') return;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const name = `deferred-graph.${format}`;
  const target = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
    filters: format === 'svg' ? { 'SVG image': ['svg'] } : { 'PNG image': ['png'] },
    saveLabel: 'Export graph',
  });
  if (!target) return;
  const bytes = format === 'svg' ? new TextEncoder().encode(data) : Buffer.from(data, 'base64');
  await vscode.workspace.fs.writeFile(target, bytes);
}

/**
 * What VS Code passes a `debug/variables/context` command (the DAP variable, and its session),
 * and, since VS Code 1.103, a `debug/watch/context` one: a watch expression serialises to the
 * same shape, its `evaluateName` being the expression (earlier versions have no Watch menu for
 * extensions and ignore that contribution).
 */
export interface VariableContext {
  sessionId?: string;
  variable?: { name?: string; evaluateName?: string };
}

/** A Python expression that is safe to wrap: DAP's evaluateName, never arbitrary text with newlines. */
function wrappable(expression: unknown): expression is string {
  return typeof expression === 'string' && expression.length > 0 && expression.length < 2000 && !/[\r\n]/.test(expression);
}

/**
 * The id of the Deferred a debugger variable holds, asked of the debuggee through
 * `deferred_graph.id_of` in the selected frame; null (with a message) when it is not one.
 */
export async function deferredIdOfVariable(
  context: VariableContext | undefined,
): Promise<{ session: vscode.DebugSession; id: number } | null> {
  const session = vscode.debug.activeDebugSession;
  const variable = context?.variable;
  const expression = variable?.evaluateName ?? variable?.name;
  if (!session || !wrappable(expression)) {
    void vscode.window.showInformationMessage('Deferred Graph: select a variable of a paused Python program.');
    return null;
  }
  const item = vscode.debug.activeStackItem;
  const frameId = item instanceof vscode.DebugStackFrame && item.session.id === session.id ? item.frameId : undefined;
  try {
    const reply = await session.customRequest('evaluate', {
      expression: `__import__('deferred_graph').id_of(${expression})`,
      frameId,
      context: 'watch',
    });
    const id = Number.parseInt(String(reply?.result), 10);
    if (Number.isInteger(id)) return { session, id };
    void vscode.window.showInformationMessage(`Deferred Graph: ${expression} is not a Deferred the runtime knows.`);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    void vscode.window.showInformationMessage(`Deferred Graph: cannot look up ${expression}: ${reason}`);
  }
  return null;
}

/** The workspace-state key of the editor column the user last put the panel in. */
const COLUMN_KEY = 'deferredGraph.panelColumn';

/**
 * Where the panel opens: the column the user last moved it to while that group still exists;
 * else, with two or more groups open, the last of them (not a third, narrow one); else beside
 * the editor (making the second group), or the first column when nothing is open.
 */
export function panelColumn(memento: vscode.Memento | null): vscode.ViewColumn {
  const groups = vscode.window.tabGroups.all.map((g) => g.viewColumn);
  const remembered = memento?.get<number>(COLUMN_KEY);
  if (remembered !== undefined && groups.includes(remembered)) return remembered;
  if (groups.length >= 2) return Math.max(...groups);
  return vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
}

/** Remembers the column the panel sits in now (the user may have dragged it there). */
export function rememberPanelColumn(memento: vscode.Memento | null, column: vscode.ViewColumn | undefined): void {
  if (memento && column !== undefined && column > 0) void memento.update(COLUMN_KEY, column);
}

/** Another existing group than `column` for the panel to step aside to; Beside only when there is none. */
export function otherColumn(column: vscode.ViewColumn | undefined): vscode.ViewColumn {
  const other = vscode.window.tabGroups.all.map((g) => g.viewColumn).find((c) => c !== column);
  return other ?? vscode.ViewColumn.Beside;
}
