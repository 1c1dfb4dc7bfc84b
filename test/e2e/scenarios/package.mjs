/**
 * The marketplace package itself (dist/deferred-graph.vsix, what the other scenarios install):
 * it holds the bundles, the Python runtime and bootstrap, media, README, CHANGELOG and LICENSE;
 * no sources, tests, caches, node_modules or bytecode; at most 2 MB; and the manifest says what
 * the marketplace needs (categories, keywords, engine) and activates only on demand.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { listVsix, listVsixFile } from '../../harness/extensions.mjs';
import { VSIX } from '../../harness/paths.mjs';

const MAX_BYTES = 2 * 1024 * 1024;
const REQUIRED = [
  /^extension\/package\.json$/,
  /^extension\/dist\/extension\.js$/,
  /^extension\/dist\/webview\.js$/,
  /^extension\/dist\/cli\.js$/,
  /^extension\/python\/deferred_graph\/__init__\.py$/,
  /^extension\/python\/deferred_graph\/wire\.py$/,
  /^extension\/python\/bootstrap\/sitecustomize\.py$/,
  /^extension\/media\/icon\.png$/,
  /^extension\/media\/screenshot-light\.png$/,
  /^extension\/media\/screenshot-dark\.png$/,
  /^extension\/readme\.md$/i,
  /^extension\/changelog\.md$/i,
  /^extension\/license(\.txt|\.md)?$/i,
];
const FORBIDDEN = [
  /^extension\/src\//,
  /^extension\/test\//,
  /^extension\/webview\//,
  /^extension\/node_modules\//,
  /^extension\/\.cache\//,
  /^extension\/bench\//,
  /^extension\/out\//,
  /^extension\/examples\//,
  /__pycache__/,
  /\.pyc$/,
  /\.map$/,
  /\.ts$/,
  /^extension\/python\/tests?\//,
  /\.vsix$/,
  /test-results/,
  /^extension\/\.git/,
  /tsconfig\.json$/,
  /esbuild\.mjs$/,
];

export const tests = [
  {
    name: 'package: .vsix contents, size and manifest',
    suite: 'e2e',
    async run(ctx) {
      const size = fs.statSync(VSIX).size;
      ctx.note(`dist/deferred-graph.vsix: ${(size / 1024).toFixed(0)} KiB`);
      assert.ok(size <= MAX_BYTES, `.vsix is ${size} bytes, over 2 MB`);
      const files = await listVsix(VSIX);
      const names = files.map((f) => f.name);
      for (const re of REQUIRED)
        assert.ok(
          names.some((n) => re.test(n)),
          `missing from the .vsix: ${re}`,
        );
      const bad = names.filter((n) => FORBIDDEN.some((re) => re.test(n)));
      assert.deepEqual(bad, [], 'files that must not ship');
      ctx.note(
        `${names.length} files; biggest: ${files
          .sort((a, b) => b.size - a.size)
          .slice(0, 3)
          .map((f) => `${f.name} ${(f.size / 1024).toFixed(0)} KiB`)
          .join(', ')}`,
      );

      const manifest = JSON.parse(await listVsixFile(VSIX, 'extension/package.json'));
      for (const c of ['Debuggers', 'Visualization']) assert.ok(manifest.categories?.includes(c), `category ${c} missing`);
      for (const k of ['twisted', 'deferred', 'debugging', 'scrapy']) assert.ok(manifest.keywords?.includes(k), `keyword ${k} missing`);
      assert.equal(manifest.engines?.vscode, '^1.92.0');
      assert.ok(manifest.icon && names.includes(`extension/${manifest.icon}`), 'manifest icon not in the package');
      const eager = (manifest.activationEvents ?? []).filter((e) => e === '*' || e === 'onStartupFinished');
      assert.deepEqual(eager, [], 'the extension must not activate at start-up');
      assert.ok(!manifest.scripts?.postinstall, 'no install scripts in a published manifest');
      // Test-only commands live in the test helper extension, never in the package.
      const commands = (manifest.contributes?.commands ?? []).map((c) => `${c.command} ${c.title}`);
      assert.deepEqual(
        commands.filter((c) => /test/i.test(c)),
        [],
        'test-only commands in the package',
      );
      // Show in Deferred Graph: in the Variables and (VS Code 1.103+) Watch views, never in the palette.
      for (const menu of ['debug/variables/context', 'debug/watch/context'])
        assert.ok(
          manifest.contributes?.menus?.[menu]?.some((m) => m.command === 'deferredGraph.showVariable'),
          `deferredGraph.showVariable missing from ${menu}`,
        );
    },
  },
];
