// Webview benchmark: the real bundle in Debian's Chromium, under the same CSP as in VS Code,
// fed 10,000 Deferreds and then 5,000 events/s of deltas. Measures delta posted → painted (p95
// target ≤ 100 ms), init → painted, frame gaps, long tasks and keyboard input → painted, and
// writes bench/RESULTS-webview.md. Run: `node bench/webview-render.mjs [--seconds 10]`.
import { writeFileSync } from 'node:fs';
import os, { cpus } from 'node:os';
import { join } from 'node:path';
import { ROOT as root, startWebview } from './webview-harness.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SECONDS = option('seconds', 10);
// --profile: unminified bundle and a CPU profile of one scenario (PROFILE_SCENARIO, default the
// last), its top functions printed.
const PROFILE = args.includes('--profile');
const TOTAL = option('deferreds', 10_000);
// --repeat N: every scenario N times (rounds interleaved), reported by its median run, so a
// burst of load from other processes on a shared machine does not decide the figure alone.
const REPEAT = option('repeat', 3);
// --against DIR: another checkout (say, a worktree at an older commit) whose webview runs the
// same scenarios on the same browser, rounds interleaved (the order alternating), so a change's
// cost is a ratio within one run rather than two figures taken at different machine loads.
// Prints a comparison; RESULTS-webview.md is left alone.
const AGAINST = args.includes('--against') ? args[args.indexOf('--against') + 1] : null;
const ONLY = args.includes('--only') ? Number(args[args.indexOf('--only') + 1]) : null;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : Number.NaN;
};

/** The A/B run of --against: this tree (A) and the other (B), each scenario REPEAT times each. */
async function compare(urls, scenarios, runOnce) {
  const chosen = ONLY === null ? scenarios : [scenarios[ONLY]];
  const results = new Map(chosen.map((s) => [s, [[], []]]));
  for (let round = 0; round < REPEAT; round++)
    for (const scenario of chosen)
      for (const side of round % 2 ? [1, 0] : [0, 1]) {
        const load = os.loadavg()[0];
        const r = await runOnce(urls[side], scenario, false);
        results.get(scenario)[side].push({ ...r.stream, load });
        const e = r.stream.eventToPainted;
        console.log(
          `round ${round} ${side ? 'B' : 'A'} load ${load.toFixed(2)}: p95 ${e.p95?.toFixed(1)} p50 ${e.p50?.toFixed(1)} CPU ${r.stream.mainThreadCpuPerSecond.toFixed(0)} ms/s — ${scenario.name}`,
        );
      }
  const lines = [
    `A = ${root}, B = ${AGAINST}; ${REPEAT} runs each of ${SECONDS} s, interleaved; medians of the runs.`,
    '',
    '| scenario | A p95 | B p95 | A/B p95 | A p50 | B p50 | A CPU ms/s | B CPU ms/s | A/B CPU | load (1 min) during |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [scenario, [a, b]] of results) {
    const m = (side, f) => median(side.map(f));
    const p95 = (s) => s.eventToPainted.p95 ?? Number.POSITIVE_INFINITY;
    const p50 = (s) => s.eventToPainted.p50 ?? Number.POSITIVE_INFINITY;
    const cpu = (s) => s.mainThreadCpuPerSecond;
    const loads = [...a, ...b].map((s) => s.load);
    lines.push(
      `| ${scenario.name} | ${m(a, p95).toFixed(1)} | ${m(b, p95).toFixed(1)} | ${(m(a, p95) / m(b, p95)).toFixed(2)} | ${m(a, p50).toFixed(1)} | ${m(b, p50).toFixed(1)} | ${m(a, cpu).toFixed(0)} | ${m(b, cpu).toFixed(0)} | ${(m(a, cpu) / m(b, cpu)).toFixed(2)} | ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} |`,
    );
  }
  console.log(lines.join('\n'));
}

/** Renderer CPU per second for a scenario with the webview only deserialising messages. */
async function baselineCpu(browser, url, scenario) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.addInitScript({ path: join(root, 'bench/webview-page.js') });
  await page.goto(`${url}?baseline`);
  await page.evaluate((n) => window.__bench.init(n), TOTAL);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const before = await metrics(cdp);
  await page.evaluate((o) => window.__bench.stream(o), { ...scenario, seconds: SECONDS, inputEveryMs: 500 });
  const after = await metrics(cdp);
  await page.close();
  return ((after.ThreadTime - before.ThreadTime) * 1000) / (after.Timestamp - before.Timestamp);
}

async function metrics(cdp) {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(list.map((m) => [m.name, m.value]));
}

/** Prints the functions with the most self time in a CDP CPU profile. */
function printProfile(profile) {
  const self = new Map();
  const dt = profile.timeDeltas;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  profile.samples.forEach((id, i) => {
    const n = byId.get(id);
    const name = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + (dt[i] ?? 0) / 1000);
  });
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 25);
  for (const [name, ms] of top) console.log(`${ms.toFixed(0).padStart(7)} ms  ${name}`);
}

const fmt = (s) => (s?.n ? `${s.p50.toFixed(1)} / ${s.p95.toFixed(1)} / ${s.p99.toFixed(1)} / ${s.max.toFixed(1)} (n=${s.n})` : 'n/a');

async function main() {
  const loadStart = os.loadavg()[0];
  const { url, urls, browser, close } = await startWebview({ minify: !PROFILE, also: AGAINST ? [AGAINST] : [] });
  const scenarios = [
    // The panel sends one delta per flush interval (setting, 50 ms by default): 20 per second.
    { name: "5,000 events/s in 20 deltas/s (250 upserts each, the panel's default pace)", eventsPerSecond: 5000, perDelta: 250 },
    { name: '5,000 events/s in 50 deltas/s (100 upserts each)', eventsPerSecond: 5000, perDelta: 100 },
    { name: '5,000 events/s in 200 deltas/s (25 upserts each)', eventsPerSecond: 5000, perDelta: 25 },
    {
      name: '5,000 events/s in 20 deltas/s, 20% of them new Deferreds replacing collected ones (tree reshaped every delta)',
      eventsPerSecond: 5000,
      perDelta: 250,
      churn: 0.2,
    },
  ];
  const runs = new Map(scenarios.map((s) => [s, []]));
  const consoleErrors = [];
  /** One scenario on the bundle served at `at`: init, stream, a stop. */
  const runOnce = async (at, scenario, profiling) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.addInitScript({ path: join(root, 'bench/webview-page.js') });
    await page.goto(at);
    const initResult = await page.evaluate((n) => window.__bench.init(n), TOTAL);
    await page.waitForTimeout(300);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    if (profiling) await cdp.send('Profiler.enable').then(() => cdp.send('Profiler.start'));
    const before = await metrics(cdp);
    const stream = await page.evaluate((o) => window.__bench.stream(o), { ...scenario, seconds: SECONDS, inputEveryMs: 500 });
    const after = await metrics(cdp);
    // CPU time of the renderer's main thread, not wall time: other processes on a busy machine
    // stretch wall-clock latencies, but not the work the webview itself does.
    stream.mainThreadCpuPerSecond = ((after.ThreadTime - before.ThreadTime) * 1000) / (after.Timestamp - before.Timestamp);
    stream.scriptPerSecond = ((after.ScriptDuration - before.ScriptDuration) * 1000) / (after.Timestamp - before.Timestamp);
    if (profiling) printProfile((await cdp.send('Profiler.stop')).profile);
    // A stop after the run: the exact state of 1,000 (issue 3's stop target) and of all.
    stream.stop1000Ms = await page.evaluate(() => window.__bench.stop(1000));
    stream.stopAllMs = await page.evaluate((n) => window.__bench.stop(n), TOTAL);
    const violations = await page.evaluate(() => window.__bench.violations);
    await page.close();
    return { scenario, initResult, stream, violations };
  };
  try {
    if (AGAINST) {
      await compare(urls, scenarios, runOnce);
      return;
    }
    for (let round = 0; round < (PROFILE ? 1 : REPEAT); round++)
      for (const scenario of scenarios) {
        const profiling = PROFILE && round === 0 && scenario === scenarios[Number(process.env.PROFILE_SCENARIO ?? scenarios.length - 1)];
        runs.get(scenario).push(await runOnce(url, scenario, profiling));
      }
    if (!PROFILE) for (const scenario of scenarios) scenario.baselineCpu = await baselineCpu(browser, url, scenario);
  } finally {
    await close();
  }
  const chromiumVersion = browser.version();
  const p95 = (r) => r.stream.eventToPainted.p95 ?? Infinity;
  const results = scenarios.map((s) => {
    const sorted = [...runs.get(s)].sort((a, b) => p95(a) - p95(b));
    const violations = runs.get(s).flatMap((r) => r.violations);
    return { ...sorted[Math.floor((sorted.length - 1) / 2)], violations, p95s: runs.get(s).map(p95) };
  });
  const lines = [
    '# Webview benchmark',
    '',
    `Measured by \`node bench/webview-render.mjs\` on ${new Date().toISOString().slice(0, 10)}: the production bundle`,
    `(dist/webview.js built the same way) in Chromium ${chromiumVersion} headless (${cpus().length} cores, ${cpus()[0]?.model ?? '?'}),`,
    'loaded under the CSP from `renderWebviewHtml`, fed by an in-page stand-in for the extension host',
    `(bench/webview-page.js) with window messages as VS Code delivers them: an \`init\` with ${TOTAL.toLocaleString('en')} Deferreds`,
    '(10% in waiting chains, 50% in DeferredLists of 9 members, the rest loose), then deltas for',
    `${SECONDS} s (each scenario run ${PROFILE ? 1 : REPEAT} times, rounds interleaved; the table shows the run with the median p95), each changing the result of a visible row so the painted frame can be identified, plus`,
    'an ArrowDown key press every 500 ms. Times in ms as p50 / p95 / p99 / max.',
    '',
    'Targets (issue 3): event → painted p95 ≤ 100 ms; 10,000 live Deferreds with 5,000 events/s responsive.',
    '',
    `Machine load average (1 min) at start and end: ${loadStart.toFixed(2)} / ${os.loadavg()[0].toFixed(2)} on ${cpus().length} cores —`,
    'wall-clock figures include time the renderer waited for a CPU held by other processes.',
    'The CPU lines do not: "renderer main thread CPU" minus its "of which" line is what the webview itself',
    'costs (drawing, patching, style, layout, paint) at 5,000 events/s; the delta → painted distribution',
    'is the webview plus whatever scheduling stalls the machine adds (see the longest tasks).',
    '',
  ];
  for (const { scenario, initResult, stream, violations, p95s } of results) {
    const pass = stream.eventToPainted.p95 !== null && stream.eventToPainted.p95 <= 100;
    lines.push(
      `## ${scenario.name}`,
      '',
      '| measure | value |',
      '|---|---|',
      `| init of ${TOTAL.toLocaleString('en')} → painted | ${initResult.initPaintedMs.toFixed(1)} ms (${initResult.domRows} rows in the DOM) |`,
      `| events/s achieved | ${stream.eventsPerSecondAchieved.toLocaleString('en')} (${stream.deltas} deltas, ${stream.deltasPainted} painted) |`,
      `| **delta posted → painted** | **${fmt(stream.eventToPainted)}** — target p95 ≤ 100: ${pass ? 'met' : 'NOT met'} |`,
      `| p95 of each run (the median run is shown) | ${p95s.map((v) => v.toFixed(1)).join(', ')} ms |`,
      `| renderer main thread CPU (all work: messages, JS, style, layout, paint) | ${stream.mainThreadCpuPerSecond.toFixed(0)} ms per s (script ${stream.scriptPerSecond.toFixed(0)} ms per s) |`,
      `| … of which the stand-in host and message delivery (same stream, webview only deserialising) | ${scenario.baselineCpu === undefined ? 'n/a' : `${scenario.baselineCpu.toFixed(0)} ms per s`} |`,
      `| frame gap | ${fmt(stream.frameGap)} |`,
      `| long tasks (> 50 ms) | ${stream.longTasks.count} (longest ${stream.longTasks.max.toFixed(0)} ms) |`,
      `| key press → painted | ${fmt(stream.inputToPainted)} |`,
      `| stop: \`full\` of 1,000 / ${TOTAL.toLocaleString('en')} → painted (webview part of stop → exact tree ≤ 300 ms) | ${stream.stop1000Ms.toFixed(1)} / ${stream.stopAllMs.toFixed(1)} ms |`,
      `| rows / elements in the DOM at the end | ${stream.domRows} / ${stream.domElements} |`,
      `| JS heap at the end | ${stream.jsHeapMB ?? '?'} MB |`,
      `| CSP violations | ${violations.length ? violations.join(', ') : 'none'} |`,
      '',
    );
  }
  const met = results.filter((r) => r.stream.eventToPainted.p95 !== null && r.stream.eventToPainted.p95 <= 100).length;
  lines.push(
    `Summary: delta posted → painted p95 ≤ 100 ms in ${met} of ${results.length} scenarios at this machine load.`,
    `Console errors: ${consoleErrors.length ? consoleErrors.slice(0, 5).join('; ') : 'none'}.`,
    '',
  );
  writeFileSync(join(root, 'bench/RESULTS-webview.md'), lines.join('\n'));
  console.log(lines.join('\n'));
  // Timings are figures, not pass/fail (they depend on the machine); a CSP violation or a page
  // error is a defect, so only those fail the run.
  process.exitCode = [...runs.values()].flat().some((r) => r.violations.length) || consoleErrors.length ? 1 : 0;
}

await main();
