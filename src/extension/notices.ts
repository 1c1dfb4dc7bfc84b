/**
 * What the view says when it cannot see everything, with the remedy. Kept in one place so the
 * wording is consistent and tests can match it.
 */
import * as vscode from 'vscode';

export const INSTRUMENT_COMMAND = 'deferredGraph.instrumentSession';

function instrumentLine(packageDir: string): string {
  return (
    `add \`import sys; sys.path.insert(0, ${JSON.stringify(packageDir)}); ` +
    'import deferred_graph; deferred_graph.install()` at the start of the program'
  );
}

/** An `attach` session: nothing was injected, so only a program that loads the runtime shows up. */
export function attachNotice(packageDir: string): string {
  return (
    'Attached session: Deferred Graph cannot inject its runtime into a program it did not launch, ' +
    `so it sees nothing until the program loads it. To see every Deferred, ${instrumentLine(packageDir)}. ` +
    'Or, at a breakpoint, run "Deferred Graph: Instrument the Paused Python Program Now" — ' +
    'Deferreds created before that moment are missing.'
  );
}

/** A launch we did not inject into because the setting is off. */
export function injectionOffNotice(): string {
  return (
    'Injection is turned off (setting deferredGraph.inject), so this program runs without the ' +
    'Deferred Graph runtime. Turn the setting on and restart the session to see its Deferreds.'
  );
}

/** The evaluate at a stop found no runtime in the debuggee. */
export function missingRuntimeNotice(packageDir: string): string {
  return (
    'This program has not loaded the Deferred Graph runtime, so no Deferreds can be shown. ' +
    `To enable it, ${instrumentLine(packageDir)}, or run "Deferred Graph: Instrument the Paused ` +
    'Python Program Now" at a breakpoint (Deferreds created before that are missing).'
  );
}

/** The runtime was loaded at a stop by evaluate: history before that point is unknown. */
export function lateInstrumentNotice(): string {
  return (
    'Instrumented at a breakpoint: Deferreds created before that moment are missing from this ' +
    'view, except those a variable of the paused frame refers to.'
  );
}

/** A snapshot at a stop failed for another reason (shown with the adapter's message). */
export function snapshotFailedNotice(message: string): string {
  return `The snapshot at this stop failed: ${message.slice(0, 300)}`;
}

/** Shown when the instrument command has nothing to act on (not awaited: it waits for a click). */
export function explainNoStoppedSession(): void {
  void vscode.window.showInformationMessage('Deferred Graph: pause a Python debug session at a breakpoint first, then run this command.');
}
