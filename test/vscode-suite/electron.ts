/**
 * Entry for @vscode/test-electron, whose `extensionTestsPath` module must export a `run` that
 * rejects when tests fail (the code-server host reads the report from index.ts instead).
 */
import { run as runSuite } from './index';

export async function run(): Promise<void> {
  const report = await runSuite();
  if (report.failed > 0 || report.passed === 0) {
    throw new Error(`${report.failed} of ${report.results.length} VS Code API tests failed`);
  }
}
