import { ParseError } from './errors.js';

/**
 * The Standard Schema interface (https://standardschema.dev), which zod 4,
 * valibot and arktype implement. Declared here so pauper needs none of them.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (
      value: unknown,
    ) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: readonly { readonly message: string; readonly path?: readonly unknown[] | undefined }[] };

/** The output type of a Standard Schema. */
export type InferOutput<Schema> = Schema extends StandardSchemaV1<unknown, infer Output> ? Output : never;

/**
 * Parses a completion with a schema: JSON is read from the text (a fenced
 * code block is unwrapped), then validated. Throws `ParseError` with the
 * validator's message.
 */
export async function parseOutput<Output>(
  schema: StandardSchemaV1<unknown, Output>,
  text: string,
  alreadyParsed?: unknown,
): Promise<Output> {
  let value = alreadyParsed;
  if (value === undefined) {
    try {
      value = JSON.parse(unfence(text));
    } catch (error) {
      throw new ParseError(`Output is not valid JSON: ${(error as Error).message}`, text, { cause: error });
    }
  }
  const result = await schema['~standard'].validate(value);
  if (result.issues !== undefined) {
    const detail = result.issues
      .map((issue) => (issue.path?.length ? `${issue.path.map(pathKey).join('.')}: ${issue.message}` : issue.message))
      .join('; ');
    throw new ParseError(`Output does not match the schema: ${detail}`, text);
  }
  return result.value;
}

function unfence(text: string): string {
  const fenced = /```(?:json)?\s*\n?([\s\S]*?)```/.exec(text);
  return (fenced?.[1] ?? text).trim();
}

function pathKey(key: unknown): string {
  return typeof key === 'object' && key !== null && 'key' in key ? String(key.key) : String(key);
}
