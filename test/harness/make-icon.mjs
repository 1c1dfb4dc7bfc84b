#!/usr/bin/env node
/**
 * Renders media/icon.png (128×128, the marketplace size) from an inline SVG with Chromium, so
 * the icon is reproducible from source: a chain of three Deferreds, the last one waiting.
 */
import path from 'node:path';
import { ROOT } from './paths.mjs';
import { launchBrowser } from './workbench.mjs';

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">
  <rect width="128" height="128" rx="22" fill="#1e1e2e"/>
  <path d="M34 34 V64 H62 M34 64 V94 H62" fill="none" stroke="#89b4fa" stroke-width="6" stroke-linecap="round" stroke-linejoin="round"/>
  <circle cx="34" cy="30" r="14" fill="#a6e3a1"/>
  <path d="M27 30 l5 5 l9 -10" fill="none" stroke="#1e1e2e" stroke-width="4.5" stroke-linecap="round" stroke-linejoin="round"/>
  <circle cx="76" cy="64" r="14" fill="#f9e2af"/>
  <circle cx="76" cy="94" r="13" fill="none" stroke="#cdd6f4" stroke-width="5" stroke-dasharray="7 5"/>
  <rect x="96" y="58" width="20" height="5" rx="2.5" fill="#cdd6f4"/>
  <rect x="96" y="67" width="13" height="5" rx="2.5" fill="#7f849c"/>
</svg>`;

const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 128, height: 128 } });
  await page.setContent(`<html><body style="margin:0;background:transparent">${SVG}</body></html>`);
  await page.locator('svg').screenshot({ path: path.join(ROOT, 'media', 'icon.png'), omitBackground: true });
} finally {
  await browser.close();
}
