/**
 * The poetry server and client from "Twisted Introduction" (seed 003) over loopback, both under
 * the debugger (a compound launch: two sessions, so the view's session picker is used). The
 * client's "poem 1" and "poem 2" show pending with their two callback pairs while the slow server
 * sends, then fired with every callback run; the poem really arrived.
 */
import assert from 'node:assert/strict';
import { freePort } from '../../harness/proc.mjs';
import { screenshot } from '../../harness/workbench.mjs';
import { pyLaunch, sampleWhile, startDebugging } from '../lib/debug.mjs';
import { readRows, selectSession, showGraph, shownSession, waitForGraph } from '../lib/graph.mjs';

const POEMS = ['poem 1', 'poem 2'];

export const tests = [
  {
    name: 'poetry client and server over loopback',
    suite: 'e2e',
    timeoutMs: 180000,
    async run(ctx) {
      const port = String(await freePort());
      const server = pyLaunch('Poetry server (e2e)', 'poetry_server.py', {
        args: ['--port', port, '--num-bytes', '40', '--delay', '0.1', '--serve', '2'],
      });
      const client = pyLaunch('Poetry client (e2e)', 'poetry_client.py', { args: ['--wait', '30', port, `127.0.0.1:${port}`] });
      const s = await ctx.session({
        launch: [server, client],
        compounds: [{ name: 'Poetry (e2e)', configurations: [server.name, client.name] }],
      });
      await showGraph(s);
      await startDebugging(s, 'Poetry (e2e)');
      const clientDone = () => s.dap.entries().some((e) => e.name === client.name && e.event === 'exited');
      let switches = 0;
      const samples = await sampleWhile(
        async () => {
          // The view follows the debug session VS Code focuses; keep the client's graph in front.
          if (!(await shownSession(s)).includes('client')) {
            switches += 1;
            await selectSession(s, 'client');
          }
          return (await readRows(s)).filter((r) => POEMS.includes(r.label));
        },
        clientDone,
        { everyMs: 100, timeoutMs: 90000 },
      );
      if (switches > 1) ctx.note(`the view switched away from the picked client session ${switches - 1} time(s)`);
      const downloading = samples.find(
        (x) => x.value.length === 2 && x.value.every((r) => r.status === 'pending' && r.result === 'N/A' && r.callbacks === '2'),
      );
      assert.ok(downloading, `never saw both poems pending with 2 callback pairs; last sample: ${JSON.stringify(samples.at(-1)?.value)}`);
      ctx.note(
        `${samples.length} samples while the client ran; both poems pending for ${samples.filter((x) => x.value.some((r) => r.status === 'pending')).length} of them`,
      );
      await screenshot(s.page, 'poetry-downloading');
      await selectSession(s, 'client');
      await waitForGraph(
        s,
        (rows) =>
          POEMS.flatMap((p) => {
            const r = rows.find((x) => x.label === p);
            return r && r.status === 'fired' && r.callbacks === '0' && r.result === 'None'
              ? []
              : [`${p}: ${r ? `${r.status} ${r.result} ${r.callbacks}` : 'missing'}`];
          }),
        { timeoutMs: 15000, what: 'both poems fired' },
      );
      const clientOutput = s.dap
        .entries()
        .filter((e) => e.name === client.name && e.event === 'output')
        .map((e) => e.body.output)
        .join('');
      assert.match(clientOutput, /Shall I compare thee to a summer's day\?/);
      assert.equal(s.dap.entries().find((e) => e.name === client.name && e.event === 'exited')?.body?.exitCode, 0);
      await screenshot(s.page, 'poetry-done');
    },
  },
];
