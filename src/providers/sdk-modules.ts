import { loadedOnce, missingPackage } from './shared.js';

// The optional peer SDKs, imported once per process and shared by every provider that builds a
// client. A dynamic `import()` of a module already loaded still goes through the module loader:
// 7 µs a call under plain Node, 0.4 ms under tsx's loader hooks (measured), paid before a run's
// first request, on every provider a sweep builds.

/** The `openai` package; a `ConfigError` naming `client` when it is not installed (and tried again next time). */
export const importOpenAI = loadedOnce(() => import('openai').catch((error: unknown) => Promise.reject(missingPackage('client', 'openai', error))));

/** The `@anthropic-ai/sdk` package; a `ConfigError` naming `client` when it is not installed (and tried again next time). */
export const importAnthropic = loadedOnce(() =>
  import('@anthropic-ai/sdk').catch((error: unknown) => Promise.reject(missingPackage('client', '@anthropic-ai/sdk', error))),
);
