/**
 * Debugging the way a user does it in the workbench: breakpoints with Ctrl+G / F9 in the editor,
 * "Debug: Select and Start Debugging" from the command palette, F5 to continue. Where the debugger
 * really stopped comes from the DAP log, not from the screen.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openFile, runCommand, toggleBreakpoint } from '../../harness/workbench.mjs';
import { poll } from './dap-log.mjs';
import { showGraph } from './graph.mjs';

/** 1-based line numbers of the `# BREAK <name>` marker comments in a file, with their names. */
export function breakMarkers(file) {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((text, i) => ({ line: i + 1, m: /#\s*BREAK\s+([\w./-]+)/.exec(text) }))
    .filter((x) => x.m)
    .map((x) => ({ line: x.line, name: x.m[1] }));
}

/** Opens `relPath` in the workspace and sets a breakpoint on each line. */
export async function setBreakpoints(session, relPath, lines) {
  const { page } = session;
  await openFile(page, relPath);
  for (const line of lines) await toggleBreakpoint(page, line);
  const glyphs = page.locator('.editor-instance .codicon-debug-breakpoint, .editor-instance .codicon-debug-breakpoint-unverified');
  await page.waitForFunction(
    (n) =>
      document.querySelectorAll('.editor-instance .codicon-debug-breakpoint, .editor-instance .codicon-debug-breakpoint-unverified')
        .length >= Math.min(n, 1),
    lines.length,
  );
  return glyphs;
}

/** Starts the named launch configuration from the command palette. */
export async function startDebugging(session, configName) {
  const { page } = session;
  await runCommand(page, 'Debug: Select and Start Debugging');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible' });
  await page.keyboard.type(configName);
  // Click the row whose label is exactly the name: Enter would take the first fuzzy match.
  const exact = new RegExp(`^${configName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  await page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: exact }) })
    .first()
    .click();
}

/**
 * Continue while paused at stop `n` (1-based), then wait for the debugger's own answer: exactly
 * one `continue` request sent after that stop, and its successful response. Clicks the debug
 * toolbar's Continue button (F5 goes wherever keyboard focus is, and after "Show Deferred Graph"
 * that is the webview). Waiting on the DAP answer, not on the click, is what keeps a loaded
 * machine from skipping a stop or resuming twice.
 */
export async function continueRun(session, n) {
  const { dap } = session;
  const stop = dap.stops()[n - 1];
  if (!stop?.frame) throw new Error(`continueRun(${n}): the debugger is not known to be at stop ${n}`);
  const sinceStop = () => dap.steps('continue').filter((r) => r.t >= stop.t && r.session === stop.session);
  if (sinceStop().length) throw new Error(`continueRun(${n}): a continue was already sent at stop ${n}`);
  const button = session.page.locator('.debug-toolbar .action-label.codicon-debug-continue');
  await button.click({ timeout: 30000 });
  const answered = await poll(
    () => {
      const sent = sinceStop();
      if (sent.length > 1) throw new Error(`one click on Continue sent ${sent.length} continue requests at stop ${n}`);
      return sent[0]?.response ?? null;
    },
    60000,
    `the answer to the continue request of stop ${n}`,
  );
  if (!answered.success) throw new Error(`continue at stop ${n} failed: ${JSON.stringify(answered)}`);
}

/** Absolute path of a workspace file. */
export function wsPath(session, rel) {
  return path.join(session.workspace, rel);
}

/** A debugpy launch configuration for a workspace program, output in the Debug Console. */
export function pyLaunch(name, program, { args = [], env = {} } = {}) {
  return {
    name,
    type: 'debugpy',
    request: 'launch',
    program: `\${workspaceFolder}/${program}`,
    args,
    env,
    cwd: `\${workspaceFolder}`,
    console: 'internalConsole',
    justMyCode: true,
  };
}

/** Samples `read()` every `everyMs` until `done()` is true; returns the samples with timestamps. */
export async function sampleWhile(read, done, { everyMs = 50, timeoutMs = 60000 } = {}) {
  const samples = [];
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`still running after ${timeoutMs / 1000} s`);
    samples.push({ t: Date.now(), value: await read() });
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return samples;
}

/**
 * A session stopped at `line` of `program` (a workspace file) with the Deferred Graph open:
 * the breakpoint set in the editor, the launch started, the stop read from the DAP log.
 * `session` is the ctx.session options (python, theme, viewport, files...).
 */
export async function stoppedAt(ctx, { program, line, args = [], env = {}, name = `${program} (e2e)`, session = {} }) {
  const config = pyLaunch(name, program, { args, env });
  const s = await ctx.session({ ...session, launch: [config] });
  await setBreakpoints(s, program, [line]);
  await startDebugging(s, config.name);
  const stop = await s.dap.waitForStop(1, 60000);
  if (stop.frame.line !== line) throw new Error(`${program} stopped at line ${stop.frame.line}, not ${line}`);
  await showGraph(s);
  return s;
}

/** 1-based number of the first line of `file` containing `text`. */
export function lineOf(file, text) {
  const index = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(text));
  if (index < 0) throw new Error(`no line with ${JSON.stringify(text)} in ${file}`);
  return index + 1;
}
