/**
 * One isolated workbench for one scenario: a fresh workspace (a copy of the examples with the
 * launch.json the scenario asks for), code-server with the packaged .vsix and the helper
 * extension, Chromium on it, and the DAP log. `close()` stops everything it started.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startCodeServer } from '../../harness/code-server.mjs';
import { EXAMPLES, HELPER_EXTENSION, PY_TW22, RESULTS, SUITE_ENTRY, VSIX } from '../../harness/paths.mjs';
import { launchBrowser, openWorkbench } from '../../harness/workbench.mjs';
import { DapLog } from './dap-log.mjs';

/** A copy of examples/ with the scenario's launch.json, so nothing a run does touches the source tree. */
function makeWorkspace(dir, launch, compounds, files = []) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const skip = (src) => !/(__pycache__|\.pyc$)/.test(src);
  if (fs.existsSync(EXAMPLES)) fs.cpSync(EXAMPLES, dir, { recursive: true, filter: skip });
  for (const f of files) fs.copyFileSync(f, path.join(dir, path.basename(f)));
  fs.mkdirSync(path.join(dir, '.vscode'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, '.vscode', 'launch.json'),
    JSON.stringify({ version: '0.2.0', configurations: launch, compounds }, null, 2),
  );
  return dir;
}

/**
 * @param {object} o
 * @param {string} o.name           scenario name (folder under test-results/runs/)
 * @param {object[]} [o.launch]     launch configurations written to .vscode/launch.json
 * @param {object[]} [o.compounds]  compound launch configurations
 * @param {string[]} [o.files]      more files copied into the workspace root
 * @param {string} [o.python]       interpreter for the adapter and the debuggee
 * @param {'light'|'dark'} [o.theme]
 * @param {object} [o.settings]     extra user settings
 * @param {{width:number,height:number}} [o.viewport]
 * @param {boolean} [o.product]     install the packaged extension (default true)
 * @param {object} [o.env]          extra environment for code-server and its extension host
 */
export async function openSession(o) {
  const runDir = path.join(RESULTS, 'runs', o.name);
  fs.rmSync(runDir, { recursive: true, force: true });
  fs.mkdirSync(runDir, { recursive: true });
  const workspace = makeWorkspace(path.join(runDir, 'workspace'), o.launch ?? [], o.compounds ?? [], o.files);
  const dapLogFile = path.join(runDir, 'dap.jsonl');
  const dap = new DapLog(dapLogFile);
  const python = o.python ?? PY_TW22;
  const cs = await startCodeServer({
    runDir,
    folder: workspace,
    vsix: o.product === false ? [] : [VSIX],
    folders: [HELPER_EXTENSION],
    theme: o.theme ?? 'light',
    env: { DG_TEST_PYTHON: python, ...o.env },
    settings: {
      'deferredGraphTest.python': python,
      'deferredGraphTest.dapLog': dapLogFile,
      'deferredGraphTest.suitePath': SUITE_ENTRY,
      'deferredGraphTest.resultsPath': path.join(runDir, 'suite-results.json'),
      ...o.settings,
    },
  });
  let browser;
  try {
    browser = await launchBrowser();
    const page = await openWorkbench(browser, cs.url, o.viewport);
    return {
      cs,
      browser,
      page,
      workspace,
      dap,
      python,
      runDir,
      async close() {
        await browser.close().catch(() => {});
        await cs.stop();
      },
    };
  } catch (err) {
    await browser?.close().catch(() => {});
    await cs.stop();
    throw err;
  }
}
