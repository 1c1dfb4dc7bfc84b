/**
 * The VS Code API suite: one suite, two hosts. Built by build.mjs to out/vscode-suite/index.js;
 * code-server's extension host runs it through the test helper extension (`run()` returns the
 * report, which the helper writes to a file), and @vscode/test-electron runs it through
 * electron.ts. Set DG_SUITE_ONLY to a substring of a test name to run just that test.
 */
import * as vscode from 'vscode';
import * as activation from './activation.test';
import * as injection from './injection.test';
import * as names from './names.test';
import { runCases, type SuiteReport, TestRegistry } from './runner';
import * as sessions from './sessions.test';
import { cleanUp, EXTENSION_ID, startObserving } from './support';

export type { SuiteReport } from './runner';

export async function run(): Promise<SuiteReport> {
  // Read before anything can activate the extension: the first test asserts it was dormant.
  const wasActiveAtStart = vscode.extensions.getExtension(EXTENSION_ID)?.isActive ?? false;
  startObserving();
  const registry = new TestRegistry();
  registry.afterEach.push(cleanUp);
  activation.register(registry, wasActiveAtStart);
  injection.register(registry);
  names.register(registry);
  sessions.register(registry);
  console.log(`Deferred Graph VS Code API suite (${registry.cases.length} tests, VS Code ${vscode.version})`);
  const report = await runCases(registry, console.log, process.env.DG_SUITE_ONLY || undefined);
  console.log(`${report.passed} passed, ${report.failed} failed`);
  return report;
}
