/**
 * The VS Code API suite (test/vscode-suite, built to out/vscode-suite/index.js) inside the
 * extension host of the real VS Code: the helper extension's command runs it and writes the
 * report; each of its tests becomes one result here. Nothing else touches the workbench first,
 * so the suite can check that the extension was dormant at start-up.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runCommand } from '../../harness/workbench.mjs';
import { poll } from '../lib/dap-log.mjs';

export const tests = [
  {
    name: 'VS Code API suite in code-server',
    suite: 'vscode',
    timeoutMs: 600000,
    async run(ctx) {
      // DG_TEST_API: only then does the extension hand its test API to other extensions
      // (src/extension/extension.ts TEST_API_ENV); the other scenarios run it as users get it.
      const s = await ctx.session({ env: { DG_TEST_API: '1' } });
      const resultsFile = path.join(s.runDir, 'suite-results.json');
      // Let start-up finish so "dormant at start" is measured after the workbench settled.
      await s.page.waitForTimeout(2000);
      await runCommand(s.page, 'Deferred Graph Test: Run VS Code API Suite');
      await poll(() => fs.existsSync(resultsFile), 540000, 'the VS Code API suite results');
      const report = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
      if (!Array.isArray(report.results) || report.results.length === 0)
        throw new Error(`empty suite report: ${JSON.stringify(report).slice(0, 500)}`);
      return report.results;
    },
  },
];
