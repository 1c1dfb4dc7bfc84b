/**
 * The webview's HTML document, as a pure function (no `vscode` import) so a unit test can check
 * the Content Security Policy. The policy allows nothing by default; scripts only with the
 * per-load nonce, styles and fonts only from the extension's own files (`cspSource`) or the
 * nonce; the layout worker only from a Blob the webview made of its own bundled code. No
 * 'unsafe-inline' and no 'unsafe-eval': debuggee text can never become code.
 */

export interface WebviewHtmlOptions {
  /** `webview.cspSource`. */
  cspSource: string;
  /** A fresh random value per load (base64 or hex). */
  nonce: string;
  /** `asWebviewUri` of dist/webview.js. */
  scriptUri: string;
  /** `asWebviewUri` of the webview stylesheet. */
  styleUri: string;
  /** `asWebviewUri` of dist/codicons/codicon.css. */
  codiconsUri: string;
}

const ATTRIBUTE_ESCAPES: Record<string, string> = { '&': '&amp;', '"': '&quot;', '<': '&lt;', '>': '&gt;' };

/** Escapes a value for a double-quoted attribute (single quotes stay, so the CSP reads as written). */
function attr(value: string): string {
  return value.replace(/[&"<>]/g, (ch) => ATTRIBUTE_ESCAPES[ch]);
}

/** A nonce must be a plain token, or it could end the CSP directive it sits in. */
function checkNonce(nonce: string): string {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(nonce)) throw new Error('renderWebviewHtml: the nonce must be 16+ base64/hex characters');
  return nonce;
}

/** The Content-Security-Policy the webview runs under. */
export function webviewCsp(cspSource: string, nonce: string): string {
  const n = checkNonce(nonce);
  if (/[;,\r\n]/.test(cspSource)) throw new Error('renderWebviewHtml: cspSource must be a single source expression');
  return [
    "default-src 'none'",
    `style-src ${cspSource} 'nonce-${n}'`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${n}'`,
    // The exported PNG is drawn from the graph's SVG through a data: image.
    `img-src ${cspSource} data:`,
    // The graph layout worker, started from a Blob of the bundled worker (layoutClient.ts).
    'worker-src blob:',
  ].join('; ');
}

export function renderWebviewHtml(options: WebviewHtmlOptions): string {
  const csp = webviewCsp(options.cspSource, options.nonce);
  const nonce = attr(options.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${nonce}" href="${attr(options.codiconsUri)}">
<link rel="stylesheet" nonce="${nonce}" href="${attr(options.styleUri)}">
<title>Deferred Graph</title>
</head>
<body>
<div id="app" class="app"></div>
<script nonce="${nonce}" src="${attr(options.scriptUri)}"></script>
</body>
</html>
`;
}
