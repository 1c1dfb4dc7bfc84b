// @vitest-environment happy-dom
/**
 * Everything the debuggee sends is untrusted: markup must stay text, megabyte reprs must not
 * reach the DOM whole, control and bidi characters must be visible escapes; and the HTML the
 * panel loads must carry a strict, nonce-based Content Security Policy.
 */
import { describe, expect, it } from 'vitest';
import { renderWebviewHtml, webviewCsp } from '../../src/extension/webviewHtml';
import { ROW_TEXT_LIMIT, TOOLTIP_LIMIT } from '../../webview/format';
import { callbackPair, firedView, header, init, mount, pendingView, rowEl, SESSION } from './builders';

const XSS = '<img src=x onerror=alert(1)>';

describe('hostile strings from the debuggee', () => {
  it('renders markup in every debuggee field as text, never as elements', () => {
    const { root, send } = mount();
    send(
      init(
        [
          firedView(1, XSS, { name: XSS, type: `<script>x</script>`, callbacks: [callbackPair(XSS, 1, `/tmp/${XSS}.py`)] }),
          pendingView(2, {
            label: `<b onmouseover=alert(2)>`,
            unhandledFailure: { kind: 'failure', excType: XSS, message: XSS, truncated: false, frames: [], raisedBy: null },
          }),
        ],
        { sessions: [{ ...SESSION, name: XSS, notice: XSS }] },
      ),
    );
    (rowEl(root, 'd1').querySelector('.twistie') as HTMLElement).click();
    (rowEl(root, 'd2').querySelector('.twistie') as HTMLElement).click();
    expect(root.querySelector('img')).toBeNull();
    expect(root.querySelector('script')).toBeNull();
    expect(root.querySelector('b')).toBeNull();
    expect(rowEl(root, 'd1').querySelector('.cell-label')!.textContent).toBe(XSS);
    expect(rowEl(root, 'd1').querySelector('.cell-result')!.textContent).toBe(XSS);
    expect(rowEl(root, 'd1.0').textContent).toContain(XSS);
    expect(root.querySelector('.session-name')!.textContent).toBe(XSS);
    expect(root.querySelector('.notice')!.textContent).toBe(XSS);
    expect(root.textContent).toContain(`unhandled failure ${XSS}: ${XSS}`);
  });

  it('bounds a 1 MB repr in the row and in its tooltip', () => {
    const { root, send } = mount();
    const huge = 'x'.repeat(1024 * 1024);
    send(init([firedView(1, huge, { name: huge }), pendingView(2, { callbacks: [callbackPair(huge)] })]));
    (rowEl(root, 'd2').querySelector('.twistie') as HTMLElement).click();
    const result = rowEl(root, 'd1').querySelector<HTMLElement>('.cell-result')!;
    expect(result.textContent).toBe(`${'x'.repeat(ROW_TEXT_LIMIT)}…`);
    expect(result.title).toBe(`${'x'.repeat(TOOLTIP_LIMIT)}…`);
    // The label is cut in the middle to what fits its column, never beyond the row limit.
    expect(rowEl(root, 'd1').querySelector('.cell-label')!.textContent!.length).toBeLessThanOrEqual(ROW_TEXT_LIMIT + 1);
    expect(rowEl(root, 'd1').querySelector('.cell-label')!.textContent).toMatch(/^x+…x+$/);
    // Nothing anywhere in the document holds more than a few kilobytes of it.
    expect(document.documentElement.outerHTML.length).toBeLessThan(50_000);
  });

  it('shows control and bidi characters as escapes', () => {
    const { root, send } = mount();
    send(init([firedView(1, "'a\nb\tc\u0000d\u001b[31m'", { name: 'evil\u202Etxt.exe' })]));
    expect(rowEl(root, 'd1').querySelector('.cell-result')!.textContent).toBe("'a\\nb\\tc\\x00d\\x1b[31m'");
    expect(rowEl(root, 'd1').querySelector('.cell-label')!.textContent).toBe('evil\\u202etxt.exe');
  });

  it('draws malformed nested fields without throwing: null callbacks, odd locations, odd members', () => {
    const { root, send, runFrames } = mount();
    const odd = pendingView(1, {
      callbacks: [null as never, { callback: { name: 7, file: 3, line: 'x' }, errback: null, continues: 'no' } as never],
      created: { file: 42, line: -1, function: null } as never,
      members: 'abc' as never,
      coroutine: { kind: 'coroutine', name: { x: 1 }, file: null, line: null, finished: false, waitingOn: '2' } as never,
    });
    send(init([odd, pendingView(2)]));
    (rowEl(root, 'd1').querySelector('.twistie') as HTMLElement).click();
    const details = [...root.querySelectorAll<HTMLElement>('[data-key^="d1."]')].map((e) => e.textContent);
    expect(details.slice(0, 2)).toEqual(['1. ?', '2. callback 7   errback —']);
    expect(root.querySelectorAll('.link').length).toBe(0);
    const search = root.querySelector<HTMLInputElement>('input.search')!;
    search.value = 'zzz';
    search.dispatchEvent(new Event('input'));
    runFrames();
    expect(root.dataset.empty).toBe('filtered');
  });

  it('shows a row it cannot draw as such and draws the others', () => {
    const { root, send } = mount();
    const broken = pendingView(1);
    Object.defineProperty(broken, 'name', {
      get: () => {
        throw new Error('boom');
      },
    });
    send(init([broken, pendingView(2, { name: 'fine' })]));
    expect(rowEl(root, 'd1').textContent).toBe('⚠ this row could not be drawn from the data received');
    expect(rowEl(root, 'd2').querySelector('.cell-label')!.textContent).toBe('fine');
  });

  it('cuts long text on a character boundary, never inside an emoji', () => {
    const { root, send } = mount();
    send(init([firedView(1, `${'x'.repeat(199)}😀😀`)]));
    expect(rowEl(root, 'd1').querySelector('.cell-result')!.textContent).toBe(`${'x'.repeat(199)}…`);
  });

  it('survives fields of the wrong type without throwing', () => {
    const { root, send } = mount();
    const odd = pendingView(1, {
      name: 42 as unknown as string,
      result: { kind: 'value', typeName: 'int', repr: null as unknown as string, truncated: false },
      called: true,
      hasResult: true,
    });
    // A status no model derives, as a corrupted message could carry it.
    const strange = { ...pendingView(2), status: 'x onerror y' as never };
    send(init([odd, { id: 'nope' } as never, strange], { header: header({ pending: '<b>' as never }) }));
    expect([...root.querySelectorAll('.cell-label')].map((e) => e.textContent)).toEqual(['42', 'Deferred #2']);
    expect(rowEl(root, 'd1').querySelector('.cell-result')!.textContent).toBe('');
    // An unknown status is shown and styled as pending, never used as a class name as is.
    expect(rowEl(root, 'd2').className).toBe('row row-deferred row-summary status-pending');
    expect(rowEl(root, 'd2').querySelector('.cell-state')!.textContent).toBe('pending');
    expect(root.querySelector('[data-count="pending"]')!.textContent).toBe('0 pending');
  });
});

describe('the webview HTML and its Content Security Policy', () => {
  const nonce = 'Zm9vYmFyYmF6cXV4MTIzNA==';
  const html = renderWebviewHtml({
    cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
    nonce,
    scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.js',
    styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.css',
    codiconsUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/codicons/codicon.css',
  });

  it('allows only the extension resources, nonce-tagged scripts, data: images (the PNG export) and blob: workers (the layout)', () => {
    const csp = webviewCsp('https://file+.vscode-resource.vscode-cdn.net', nonce);
    expect(csp).toBe(
      "default-src 'none'; style-src https://file+.vscode-resource.vscode-cdn.net 'nonce-Zm9vYmFyYmF6cXV4MTIzNA=='; " +
        'font-src https://file+.vscode-resource.vscode-cdn.net; ' +
        "script-src 'nonce-Zm9vYmFyYmF6cXV4MTIzNA=='; img-src https://file+.vscode-resource.vscode-cdn.net data:; worker-src blob:",
    );
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${csp}">`);
    expect(html).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });

  it('tags every script and stylesheet with the nonce and has no inline script or style', () => {
    // <link> is renamed so happy-dom does not try to fetch the stylesheets; attributes stay.
    const doc = new DOMParser().parseFromString(html.replace(/<link /g, '<meta data-link '), 'text/html');
    const scripts = [...doc.querySelectorAll('script')];
    expect(scripts.map((s) => [s.getAttribute('nonce'), s.getAttribute('src'), s.textContent])).toEqual([
      [nonce, 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.js', ''],
    ]);
    const sheets = [...doc.querySelectorAll('meta[data-link][rel="stylesheet"]')];
    expect(sheets.map((l) => [l.getAttribute('nonce'), l.getAttribute('href')!.split('/').pop()])).toEqual([
      [nonce, 'codicon.css'],
      [nonce, 'webview.css'],
    ]);
    expect(doc.querySelectorAll('style, [style], [onload], [onerror]').length).toBe(0);
    expect(doc.getElementById('app')).not.toBeNull();
  });

  it('rejects a nonce or source that could break out of the policy', () => {
    const base = { cspSource: 'vscode-resource:', scriptUri: 'a', styleUri: 'b', codiconsUri: 'c' };
    expect(() => renderWebviewHtml({ ...base, nonce: "abc'; script-src *" })).toThrow(/nonce/);
    expect(() => renderWebviewHtml({ ...base, nonce: 'short' })).toThrow(/nonce/);
    expect(() => renderWebviewHtml({ ...base, nonce, cspSource: "x; script-src 'unsafe-eval'" })).toThrow(/cspSource/);
    expect(renderWebviewHtml({ ...base, nonce, scriptUri: '"><script>alert(1)</script>' })).not.toContain('"><script>alert');
  });
});
