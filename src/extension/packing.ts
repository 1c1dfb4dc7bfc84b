/**
 * The packed forms the extension host reads and writes, in one place because they are one
 * format (zlib) spoken three ways:
 *
 * - from the runtime on the DAP route (wire.py `pack`): large `deferredGraph` event bodies
 *   (PackedBatch) and the snapshot `evaluate` result at a stop, which may also come back as a
 *   Python string repr from adapters that ignore `format.rawString`. Node's zlib inflates them;
 *   the model only ever sees plain Batches.
 * - to the webview: large messages deflated to a byte array (protocol.ts `PackedMessage` says
 *   why); the webview inflates them with DecompressionStream (webview/unpack.ts).
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { type Batch, PACK_THRESHOLD_CHARS, PACKED_PREFIX, type PackedMessage, type ToWebviewMessage } from '../protocol/protocol';

/** The JSON text inside a packed string, or null when it is not one or does not inflate. */
export function inflatePacked(text: string): string | null {
  if (!text.startsWith(PACKED_PREFIX)) return null;
  try {
    return inflateSync(Buffer.from(text.slice(PACKED_PREFIX.length), 'base64')).toString('utf8');
  } catch {
    return null;
  }
}

export type Unpacked = { ok: true; value: unknown } | { ok: false; error: string };

/** A DAP event body as the model takes it: a PackedBatch unpacked, anything else as it is. */
export function unpackBatch(body: unknown): Unpacked {
  const packed = typeof body === 'object' && body !== null ? (body as { packed?: unknown }).packed : undefined;
  if (packed === undefined) return { ok: true, value: body };
  const batch = (body as { batch?: unknown }).batch;
  const text = typeof packed === 'string' ? inflatePacked(packed) : null;
  if (text !== null) {
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch {
      // reported below
    }
  }
  return { ok: false, error: `Rejected packed batch ${JSON.stringify(batch)}: its data is not deflated JSON.` };
}

export type SnapshotOutcome =
  | { ok: true; batch: Batch }
  /** `missingRuntime` is true when the debuggee cannot import deferred_graph at all. */
  | { ok: false; missingRuntime: boolean; message: string };

/** Turns an evaluate result (raw or quoted, packed or JSON) into a Batch, or says why not. */
export function parseSnapshotResult(text: string): SnapshotOutcome {
  const trimmed = text.trim();
  const unquoted = /^[rbu]?['"]/i.test(trimmed) ? unquotePythonString(trimmed) : trimmed;
  const raw = unquoted?.startsWith(PACKED_PREFIX) ? inflatePacked(unquoted) : unquoted;
  if (raw === null) return { ok: false, missingRuntime: false, message: 'unreadable evaluate result' };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return {
      ok: false,
      missingRuntime: /ModuleNotFoundError|No module named/.test(raw),
      message: `not a snapshot: ${raw.slice(0, 200)}`,
    };
  }
  if (typeof value !== 'object' || value === null || !Array.isArray((value as Batch).events)) {
    return { ok: false, missingRuntime: false, message: 'evaluate returned JSON that is not a Batch' };
  }
  return { ok: true, batch: value as Batch };
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  n: '\n',
  r: '\r',
  t: '\t',
  b: '\b',
  f: '\f',
  v: '\v',
  a: '\x07',
  '0': '\0',
};

/** Decodes a Python `str` repr ('…' or "…", with \\, \n, \xNN, \uNNNN, \UNNNNNNNN escapes). */
export function unquotePythonString(literal: string): string | null {
  const match = /^([rbu]?)(['"])([\s\S]*)\2$/i.exec(literal);
  if (!match) return null;
  const [, prefix, , body] = match;
  if (prefix.toLowerCase() === 'r') return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = body[++i];
    const width = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
    if (width) {
      const code = Number.parseInt(body.slice(i + 1, i + 1 + width), 16);
      if (Number.isNaN(code)) return null;
      out += String.fromCodePoint(code);
      i += width;
    } else if (next in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[next];
    } else {
      out += `\\${next ?? ''}`;
    }
  }
  return out;
}

/** A host→webview message as posted: itself when small, else its packed form. */
export function packMessage(message: ToWebviewMessage): ToWebviewMessage | PackedMessage {
  if (message.type === 'sessions') return message;
  const text = JSON.stringify(message);
  if (text.length <= PACK_THRESHOLD_CHARS) return message;
  // A plain Uint8Array over its own ArrayBuffer: VS Code sends typed arrays as binary by their
  // constructor name (a Buffer would go as JSON) and transfers the whole underlying buffer.
  return { type: 'packed', deflated: new Uint8Array(deflateSync(Buffer.from(text, 'utf8'), { level: 1 })) };
}
