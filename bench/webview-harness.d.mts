// Types for webview-harness.mjs, so the TypeScript test that uses it type-checks.
import type { Browser } from 'playwright-core';

export const ROOT: string;
export function startWebview(options?: { minify?: boolean }): Promise<{ url: string; browser: Browser; close(): Promise<void> }>;
