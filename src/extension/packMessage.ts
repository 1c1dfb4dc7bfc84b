/** Packs large host→webview messages (the format: src/protocol/packedMessage.ts). */
import { deflateSync } from 'node:zlib';
import { PACK_THRESHOLD_CHARS, type PackedMessage } from '../protocol/packedMessage';
import type { ToWebviewMessage } from '../protocol/protocol';

/** The message itself when small, else its packed form. */
export function packMessage(message: ToWebviewMessage): ToWebviewMessage | PackedMessage {
  if (message.type === 'sessions') return message;
  const text = JSON.stringify(message);
  if (text.length <= PACK_THRESHOLD_CHARS) return message;
  // A plain Uint8Array over its own ArrayBuffer: VS Code sends typed arrays as binary by their
  // constructor name (a Buffer would go as JSON) and transfers the whole underlying buffer.
  return { type: 'packed', deflated: new Uint8Array(deflateSync(Buffer.from(text, 'utf8'), { level: 1 })) };
}
