/**
 * A tiny test runner for the VS Code API suite. It runs inside an extension host (code-server's
 * via the test helper extension, or @vscode/test-electron's), where mocha's globals and reporters
 * would be extra weight: tests are async functions, run one after another, each with a timeout,
 * and the outcome is plain data the host writes out.
 */

export interface TestResult {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
  /** Measurements a test reported with note(). */
  notes?: string[];
}

export interface SuiteReport {
  passed: number;
  failed: number;
  results: TestResult[];
}

export interface TestCase {
  name: string;
  timeoutMs: number;
  body: () => Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 60_000;

let lastStep = '';
let notes: string[] = [];

/** Attaches a measurement or observation to the running test's result. */
export function note(text: string): void {
  notes.push(text);
}

/** Notes what a test is doing now, so a timeout says where it hung. */
export function step(text: string): void {
  lastStep = text;
}

/** Collects tests from the test modules in the order they are declared. */
export class TestRegistry {
  readonly cases: TestCase[] = [];
  /** Runs after every test, passed or failed, so one failure cannot leak into the next test. */
  readonly afterEach: Array<() => Promise<void>> = [];

  test(name: string, body: () => Promise<void>, timeoutMs = DEFAULT_TIMEOUT_MS): void {
    this.cases.push({ name, body, timeoutMs });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${name} (last step: ${lastStep || 'none'})`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs every case; `only` (a substring) narrows the run for debugging a single test. */
export async function runCases(
  { cases, afterEach }: TestRegistry,
  log: (line: string) => void = console.log,
  only?: string,
): Promise<SuiteReport> {
  const results: TestResult[] = [];
  for (const testCase of cases) {
    if (only && !testCase.name.includes(only)) continue;
    const started = Date.now();
    lastStep = '';
    notes = [];
    try {
      await withTimeout(testCase.body(), testCase.timeoutMs, testCase.name);
      results.push({ name: testCase.name, ok: true, ms: Date.now() - started, ...(notes.length ? { notes } : {}) });
      log(`  ✓ ${testCase.name} (${Date.now() - started} ms)`);
    } catch (error) {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      results.push({ name: testCase.name, ok: false, ms: Date.now() - started, error: text, ...(notes.length ? { notes } : {}) });
      log(`  ✗ ${testCase.name}\n${text.replace(/^/gm, '      ')}`);
    }
    for (const hook of afterEach) await hook().catch((error) => log(`  (clean-up failed: ${error})`));
  }
  const passed = results.filter((r) => r.ok).length;
  return { passed, failed: results.length - passed, results };
}
