/**
 * Shared by the reload and screenshot scenarios: the notebook under the debugger, stopped at one
 * `# BREAK` marker, with the Deferred Graph open and already matching real Python there.
 */
import path from 'node:path';
import { EXAMPLES, PY_TW22 } from '../../harness/paths.mjs';
import { breakMarkers, pyLaunch, setBreakpoints, startDebugging } from './debug.mjs';
import { compareStop, expectedStops } from './expected.mjs';
import { showGraph, waitForGraph } from './graph.mjs';

const SCRIPT = 'notebook.py';

export async function notebookStoppedAt(ctx, marker, { theme = 'light', python = PY_TW22, viewport } = {}) {
  const expected = (await expectedStops(python, path.join(EXAMPLES, SCRIPT))).find((e) => e.marker === marker);
  if (!expected) throw new Error(`Python never reached the BREAK marker ${marker}`);
  const config = pyLaunch('Notebook (e2e)', SCRIPT);
  const s = await ctx.session({ python, theme, viewport, launch: [config] });
  const line = breakMarkers(path.join(EXAMPLES, SCRIPT)).find((m) => m.name === marker).line;
  await setBreakpoints(s, SCRIPT, [line]);
  await startDebugging(s, config.name);
  const stop = await s.dap.waitForStop(1);
  if (stop.frame.line !== line) throw new Error(`stopped at line ${stop.frame.line}, not ${line}`);
  await showGraph(s);
  await waitForGraph(s, (rows) => compareStop(expected, rows), { what: `${marker} before anything else` });
  return { s, expected };
}
