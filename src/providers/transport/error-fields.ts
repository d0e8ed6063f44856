import { inspect } from 'node:util';

// Readers of what an unknown thrown value carries. SDK errors, fetch errors and
// plain objects all reach the transport, so every field is checked before use.

/** The class name: the SDKs leave `name` as 'Error' on some of their error classes. */
export function errorName(error: unknown): string {
  if (!(error instanceof Error)) return '';
  return error.name !== 'Error' ? error.name : error.constructor.name;
}

/** The message of an error or string; anything else is inspected. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return inspect(error, { depth: 2 });
}

/** The API's own message (`apiMessage` on Anthropic SDK errors), without the SDK's status prefix or JSON dump. */
export function apiMessageOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('apiMessage' in error)) return undefined;
  return typeof error.apiMessage === 'string' && error.apiMessage !== '' ? error.apiMessage : undefined;
}

/** The HTTP status of an error that has one (an integer >= 100). */
export function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error)) return undefined;
  const { status } = error;
  return typeof status === 'number' && Number.isInteger(status) && status >= 100 ? status : undefined;
}

/** The response headers of an error, as `Headers` or a plain record, with lower-case names. */
export function headersOf(error: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (typeof error !== 'object' || error === null || !('headers' in error)) return result;
  const { headers } = error;
  if (headers instanceof Headers) {
    headers.forEach((value, key) => {
      result[key.toLowerCase()] = value;
    });
  } else if (typeof headers === 'object' && headers !== null) {
    for (const [key, value] of Object.entries(headers)) {
      if (typeof value === 'string') result[key.toLowerCase()] = value;
    }
  }
  return result;
}

/** The system error code (`ECONNRESET`, `UND_ERR_SOCKET`) of an error that has one. */
export function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}
