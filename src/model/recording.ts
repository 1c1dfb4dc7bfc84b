/**
 * Recording files (JSON Lines: a {@link RecordingHeader}, then one Batch per line) and their
 * replay into a {@link SessionModel}, for the CLI and the golden tests.
 *
 * Errors are collected with their 1-based line number instead of stopping the replay: a
 * recording cut short by a killed program still shows everything before the cut.
 */
import { type Batch, RECORDING_FORMAT, RECORDING_FORMAT_VERSION, type RecordingHeader } from '../protocol/protocol';
import { SessionModel } from './sessionModel';
import { int, Malformed, num, parseVersion, record, str, versionSkewMessage } from './validate';

export interface LineError {
  line: number;
  message: string;
}

export interface ParsedRecording {
  header: RecordingHeader | null;
  /** Batches as read (validated when applied), with `lines[i]` the line of `batches[i]`. */
  batches: Batch[];
  lines: number[];
  errors: LineError[];
}

function readHeader(value: unknown): RecordingHeader {
  const o = record(value, 'header');
  const format = str(o.format, 'header.format');
  if (format !== RECORDING_FORMAT) {
    throw new Malformed(`not a Deferred Graph recording (format ${JSON.stringify(format)}, expected ${JSON.stringify(RECORDING_FORMAT)})`);
  }
  const formatVersion = int(o.formatVersion, 'header.formatVersion');
  if (formatVersion !== RECORDING_FORMAT_VERSION) {
    throw new Malformed(`recording format version ${formatVersion} is not supported (this tool reads version ${RECORDING_FORMAT_VERSION})`);
  }
  const protocolVersion = str(o.protocolVersion, 'header.protocolVersion');
  const skew = versionSkewMessage(parseVersion(protocolVersion, 'header.protocolVersion'));
  if (skew !== null) throw new Malformed(skew);
  return {
    format,
    formatVersion,
    protocolVersion,
    pid: int(o.pid, 'header.pid'),
    startedAt: num(o.startedAt, 'header.startedAt'),
    argv: Array.isArray(o.argv) ? o.argv.map((a, i) => str(a, `header.argv[${i}]`)) : [],
  };
}

/** Splits a recording into its header and batches; never throws. */
export function parseRecording(text: string): ParsedRecording {
  const parsed: ParsedRecording = { header: null, batches: [], lines: [], errors: [] };
  const rows = text.split('\n');
  let sawFirst = false;
  rows.forEach((row, index) => {
    const line = index + 1;
    if (row.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(row);
    } catch (err) {
      parsed.errors.push({ line, message: `not valid JSON (${(err as Error).message})` });
      return;
    }
    const first = !sawFirst;
    sawFirst = true;
    if (first) {
      const isHeader = typeof value === 'object' && value !== null && 'format' in value;
      if (isHeader) {
        try {
          parsed.header = readHeader(value);
        } catch (err) {
          parsed.errors.push({ line, message: (err as Error).message });
        }
        return;
      }
      parsed.errors.push({ line, message: 'missing recording header (the first line should name the format)' });
    }
    parsed.batches.push(value as Batch);
    parsed.lines.push(line);
  });
  if (!sawFirst) parsed.errors.push({ line: 1, message: 'the recording is empty' });
  return parsed;
}

export interface ReplayOptions {
  /** Stop right after the marker with this name (every event with seq ≤ its seq). */
  atMark?: string;
  /** Which marker of that name, counting from 1 in seq order (default 1). */
  occurrence?: number;
  sessionId?: string;
  retainFired?: number;
  retainCollected?: number;
}

export interface ReplayResult {
  model: SessionModel;
  header: RecordingHeader | null;
  errors: LineError[];
  /** False when `atMark` was given and no such marker (occurrence) is in the recording. */
  markFound: boolean;
}

/** The markers of a recording, in seq order, read without validating anything else. */
export function markersIn(batches: Batch[]): { name: string; seq: number }[] {
  const found: { name: string; seq: number }[] = [];
  for (const batch of batches) {
    const events: unknown = (batch as { events?: unknown } | null)?.events;
    if (!Array.isArray(events)) continue;
    for (const e of events as ({ kind?: unknown; name?: unknown; seq?: unknown } | null)[]) {
      if (e?.kind === 'marker' && typeof e.name === 'string' && typeof e.seq === 'number') found.push({ name: e.name, seq: e.seq });
    }
  }
  return found.sort((a, b) => a.seq - b.seq);
}

/** Replays a recording into a fresh model, keeping every line's errors. */
export function replayRecording(text: string, options: ReplayOptions = {}): ReplayResult {
  const parsed = parseRecording(text);
  const model = new SessionModel({
    sessionId: options.sessionId ?? 'recording',
    retainFired: options.retainFired ?? Infinity,
    retainCollected: options.retainCollected ?? Infinity,
  });
  let limit = Infinity;
  let markFound = true;
  if (options.atMark !== undefined) {
    const mark = markersIn(parsed.batches).filter((m) => m.name === options.atMark)[(options.occurrence ?? 1) - 1];
    if (mark === undefined) markFound = false;
    else limit = mark.seq;
  }
  const errors = parsed.errors.slice();
  parsed.batches.forEach((batch, i) => {
    const cut = Number.isFinite(limit) ? cutAt(batch, limit) : batch;
    if (cut === null) return;
    const outcome = model.applyBatch(cut);
    if (!outcome.ok) errors.push({ line: parsed.lines[i], message: outcome.error ?? 'rejected' });
  });
  errors.sort((a, b) => a.line - b.line);
  return { model, header: parsed.header, errors, markFound };
}

/** The batch without its events after `limit` (null when none is left); malformed input is kept for the model to report. */
function cutAt(batch: Batch, limit: number): Batch | null {
  const events: unknown = (batch as { events?: unknown } | null)?.events;
  if (!Array.isArray(events)) return batch;
  const kept = events.filter((e: { seq?: unknown } | null) => typeof e?.seq !== 'number' || e.seq <= limit);
  return kept.length === 0 ? null : { ...batch, events: kept };
}

/**
 * Replays a recording to its end or to just after the marker `atMark`. Throws when that marker
 * is not in the recording; other errors in the file are skipped (see {@link replayRecording}).
 */
export function replay(text: string, options: ReplayOptions = {}): SessionModel {
  const result = replayRecording(text, options);
  if (!result.markFound) {
    const names = markersIn(parseRecording(text).batches).map((m) => m.name);
    const which = (options.occurrence ?? 1) > 1 ? ` (occurrence ${options.occurrence})` : '';
    throw new Error(
      `No marker named ${JSON.stringify(options.atMark)}${which} in the recording${names.length ? ` (markers: ${names.join(', ')})` : ' (it has no markers)'}.`,
    );
  }
  return result.model;
}
