/**
 * `deferred-graph`: read a recording made by `python -m deferred_graph run --record FILE` (or by
 * DEFERRED_GRAPH_RECORD) with the same chain model the extension uses, and print every
 * Deferred's status — at the end, or right after a named `mark()`.
 *
 * Exit codes: 0 all read; 1 the file has errors (reported on stderr with their line numbers,
 * after whatever could be read is printed), a marker is missing or the file cannot be read;
 * 2 the command line is wrong.
 */
import { readFileSync } from 'node:fs';
import { markersIn, parseRecording, replayRecording, statusRow } from '../model';
import { cell, statusTable, summaryText } from './table';
import { findTarget, whyReport } from './why';

const HELP = `Usage:
  deferred-graph status FILE.jsonl [--at-mark NAME [--occurrence N]] [--json]
  deferred-graph why FILE.jsonl LABEL|ID [--at-mark NAME [--occurrence N]]
  deferred-graph markers FILE.jsonl
  deferred-graph --help

Reads a Deferred Graph recording (python -m deferred_graph run --record FILE.jsonl SCRIPT).

status    Replays the recording to its end, or to just after the marker NAME (the
          first one, or the Nth with --occurrence N), and prints every Deferred:
          in the words of the panel: its label (label() name, else "Deferred #id",
          with the type of a subclass), state (pending, fired, failed, paused,
          "waiting on b (#4)"), result ("Type: message" for a Failure, "→ #id" for
          a Deferred) or N/A, pending callbacks (what len(d.callbacks) gives,
          then their names: "f, errback g, continues #3") and where it was
          created ("fetch() crawler.py:42").
          --json prints an array of objects instead, one per Deferred:
            id, label, name, userLabel, type, status, state, called, hasResult,
            result (repr text; null without a result or when it is a Deferred or
            a Failure), resultDeferred (id or null), resultText, failure
            ({excType, message} or null), callbacks (count), callbackPairs
            (each pair's callback/errback {name, file, line} or continues id),
            callbackNames, created ({file, line, function}), createdText,
            paused, waitingOn (id or null), cancelled, members, collected,
            unhandledFailure (collected with a Failure nobody handled),
            unhandledNow (holds a Failure, no errback left), blockedBy and root ({kind, text, ids, location}
            or null; kind is deferred, list, generator, timer, thread, process,
            connection, lock, queue, orphan or unknown; root's ids are the path
            to it), firedBy ({file, line, function} or null), why (the root in
            one line); a Failure's failure also has frames ([{file, line,
            function}], innermost last) and raisedBy.
why       Replays like status, then prints what the Deferred LABEL (its label or
          frame name) or ID (12 or #12) waits for, each Deferred on the path to
          the root of that wait, and the root: a timer, a thread job, a
          connection, an orphan (nothing can ever fire it)...
markers   Lists the markers in the recording, in order.

Errors in the file are reported on stderr as FILE:LINE: message; the exit code is
then 1. A wrong command line exits with 2.`;

class UsageError extends Error {}

interface StatusArgs {
  command: 'status' | 'markers' | 'why';
  file: string;
  target: string | null;
  atMark: string | null;
  occurrence: number;
  json: boolean;
}

function parseArgs(argv: string[]): StatusArgs | 'help' {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h') || argv[0] === 'help') return 'help';
  const [command, ...rest] = argv;
  if (command !== 'status' && command !== 'markers' && command !== 'why')
    throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  const args: StatusArgs = { command, file: '', target: null, atMark: null, occurrence: 1, json: false };
  const replays = command !== 'markers';
  const files: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const value = () => {
      if (i + 1 >= rest.length) throw new UsageError(`${arg} needs a value`);
      return rest[++i];
    };
    if (arg === '--json' && command === 'status') args.json = true;
    else if (arg === '--at-mark' && replays) args.atMark = value();
    else if (arg === '--occurrence' && replays) {
      args.occurrence = Number(value());
      if (!Number.isSafeInteger(args.occurrence) || args.occurrence < 1) throw new UsageError('--occurrence needs a positive integer');
    } else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg} for ${command}`);
    else files.push(arg);
  }
  if (command === 'why') {
    if (files.length !== 2) throw new UsageError('why needs a recording file and a LABEL or ID');
    args.target = files.pop() ?? null;
  }
  if (files.length !== 1) throw new UsageError(`${command} needs exactly one recording file`);
  args.file = files[0];
  return args;
}

/** Runs the CLI; returns the exit code. Output goes through the two writers (tests pass their own). */
export function main(argv: string[], out: (text: string) => void, err: (text: string) => void): number {
  let args: StatusArgs | 'help';
  try {
    args = parseArgs(argv);
  } catch (e) {
    err(`deferred-graph: ${(e as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (args === 'help') {
    out(`${HELP}\n`);
    return 0;
  }
  let text: string;
  try {
    text = readFileSync(args.file, 'utf8');
  } catch (e) {
    err(`deferred-graph: cannot read ${args.file}: ${(e as Error).message}\n`);
    return 1;
  }
  if (args.command === 'markers') {
    const parsed = parseRecording(text);
    for (const m of markersIn(parsed.batches)) out(`${m.seq}\t${cell(m.name, 200)}\n`);
    return reportErrors(args.file, parsed.errors, err);
  }
  const result = replayRecording(text, args.atMark === null ? {} : { atMark: args.atMark, occurrence: args.occurrence });
  if (!result.markFound) {
    const names = markersIn(parseRecording(text).batches).map((m) => cell(m.name, 80));
    const which = args.occurrence > 1 ? ` (occurrence ${args.occurrence})` : '';
    err(
      `deferred-graph: no marker ${JSON.stringify(args.atMark)}${which} in ${args.file}; its markers: ${names.length ? names.join(', ') : 'none'}\n`,
    );
    return 1;
  }
  const { model } = result;
  if (args.command === 'why') {
    const lookup = (id: number) => model.get(id);
    const view = findTarget(model.views(), args.target ?? '');
    if (!view) {
      err(`deferred-graph: no Deferred ${JSON.stringify(cell(args.target ?? '', 80))} in ${args.file}\n`);
      return 1;
    }
    out(`${whyReport(view, lookup).join('\n')}\n`);
    return reportErrors(args.file, result.errors, err);
  }
  const rows = model.views().map((view) => statusRow(view, (id) => model.get(id)));
  if (args.json) out(`${JSON.stringify(rows, null, 1)}\n`);
  else {
    out(`${summaryText(args.file, model.runtimeInfo, model.header(), args.atMark)}\n\n`);
    out(rows.length ? `${statusTable(rows)}\n` : 'No Deferreds.\n');
  }
  return reportErrors(args.file, result.errors, err);
}

function reportErrors(file: string, errors: { line: number; message: string }[], err: (text: string) => void): number {
  for (const e of errors) err(`${file}:${e.line}: ${cell(e.message, 500)}\n`);
  return errors.length ? 1 : 0;
}

// Run when executed as the bundled bin (dist/cli.js), not when imported by a test.
if (typeof require !== 'undefined' && require.main === module) {
  // A closed pipe (`deferred-graph status f.jsonl | head`) ends the output, not in a crash.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  process.exitCode = main(
    process.argv.slice(2),
    (t) => process.stdout.write(t),
    (t) => process.stderr.write(t),
  );
}
