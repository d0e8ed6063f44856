import { missingPackage } from './shared.js';

// The optional peer SDKs, imported once per process and shared by every provider that builds a
// client. A dynamic `import()` of a module already loaded still goes through the module loader:
// 7 µs a call under plain Node, 0.4 ms under tsx's loader hooks (measured), paid before a run's
// first request, on every provider a sweep builds.

let openaiSdk: Promise<typeof import('openai')> | undefined;
let anthropicSdk: Promise<typeof import('@anthropic-ai/sdk')> | undefined;

/** The `openai` package; a `ConfigError` naming `client` when it is not installed (and tried again next time). */
export function importOpenAI(): Promise<typeof import('openai')> {
  openaiSdk ??= import('openai').catch((error: unknown) => {
    openaiSdk = undefined;
    throw missingPackage('client', 'openai', error);
  });
  return openaiSdk;
}

/** The `@anthropic-ai/sdk` package; a `ConfigError` naming `client` when it is not installed (and tried again next time). */
export function importAnthropic(): Promise<typeof import('@anthropic-ai/sdk')> {
  anthropicSdk ??= import('@anthropic-ai/sdk').catch((error: unknown) => {
    anthropicSdk = undefined;
    throw missingPackage('client', '@anthropic-ai/sdk', error);
  });
  return anthropicSdk;
}
