// Types for webview-harness.mjs, so the TypeScript test that uses it type-checks.
import type { Browser } from 'playwright-core';

export const ROOT: string;
export function startWebview(options?: { minify?: boolean }): Promise<{ url: string; browser: Browser; close(): Promise<void> }>;
export function openTestPage(
  harness: { url: string; browser: Browser },
  viewport: { width: number; height: number },
): Promise<{ page: import('playwright-core').Page; problems: string[]; posted(): Promise<unknown[]> }>;
