// Anthropic structured output accepts a subset of JSON Schema; this maps a zod schema's
// JSON Schema onto it, as `@anthropic-ai/sdk`'s own helper does.

const SUPPORTED_STRING_FORMATS = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'uri', 'ipv4', 'ipv6', 'uuid']);

/**
 * The JSON Schema subset Anthropic structured output accepts, built as
 * `@anthropic-ai/sdk`'s `transformJSONSchema` does: every object closed
 * (`additionalProperties: false`), `oneOf` sent as `anyOf`, and every keyword
 * it rejects (`minimum`, `maxLength`, `pattern`, `minItems` above 1, an
 * unsupported `format`, ...) moved into the field's `description` as
 * `{minimum: 0, maximum: 23}`, so the model still reads the limit. `undefined`
 * when a field has no type (z.any(), z.unknown()), which the API cannot express.
 */
export function toAnthropicSchema(schema: Readonly<Record<string, unknown>>): Record<string, unknown> | undefined {
  try {
    return transformSchema({ ...schema });
  } catch (error) {
    if (error instanceof UntypedSchemaError) return undefined;
    throw error;
  }
}

class UntypedSchemaError extends Error {}

/** Transforms one node; `rest` is a shallow copy whose handled keywords are deleted as they are read. */
function transformSchema(rest: Record<string, unknown>): Record<string, unknown> {
  const take = (keyword: string): unknown => {
    const value = rest[keyword];
    delete rest[keyword];
    return value;
  };
  const child = (value: unknown): Record<string, unknown> =>
    transformSchema(typeof value === 'object' && value !== null ? { ...(value as Record<string, unknown>) } : {});
  const result: Record<string, unknown> = {};
  const definitions = take('$defs');
  if (typeof definitions === 'object' && definitions !== null) {
    result.$defs = Object.fromEntries(Object.entries(definitions).map(([key, value]) => [key, child(value)]));
  }
  const reference = take('$ref');
  if (reference !== undefined) return { ...result, $ref: reference };
  const isPrimitive = (value: unknown): boolean => value === null || typeof value !== 'object';
  if (Array.isArray(rest.enum) && rest.enum.length > 0 && rest.enum.every(isPrimitive)) result.enum = take('enum');
  if (rest.const !== undefined && isPrimitive(rest.const)) result.const = take('const');
  const literal = 'enum' in result || 'const' in result;
  const declaredType = take('type');
  const type = literal ? undefined : declaredType;
  const anyOf = take('anyOf');
  const oneOf = take('oneOf');
  const allOf = take('allOf');
  take('$schema');
  if (Array.isArray(anyOf)) result.anyOf = anyOf.map(child);
  else if (Array.isArray(oneOf)) result.anyOf = oneOf.map(child);
  else if (Array.isArray(allOf)) result.allOf = allOf.map(child);
  else if (!literal) {
    if (type === undefined) throw new UntypedSchemaError();
    result.type = type;
  }
  const description = take('description');
  if (description !== undefined) result.description = description;
  const title = take('title');
  if (title !== undefined) result.title = title;
  if (type === 'object') {
    const properties = take('properties');
    result.properties = Object.fromEntries(
      Object.entries(typeof properties === 'object' && properties !== null ? properties : {}).map(([key, value]) => [key, child(value)]),
    );
    take('additionalProperties');
    result.additionalProperties = false;
    const required = take('required');
    if (required !== undefined) result.required = required;
  } else if (type === 'string') {
    if (typeof rest.format === 'string' && SUPPORTED_STRING_FORMATS.has(rest.format)) result.format = take('format');
  } else if (type === 'array') {
    const items = take('items');
    if (items !== undefined) result.items = child(items);
    if (rest.minItems === 0 || rest.minItems === 1) result.minItems = take('minItems');
  }
  const dropped = Object.entries(rest);
  if (dropped.length > 0) {
    const limits = `{${dropped.map(([key, value]) => `${key}: ${JSON.stringify(value)}`).join(', ')}}`;
    const described = typeof result.description === 'string' && result.description !== '';
    result.description = described ? `${String(result.description)}\n\n${limits}` : limits;
  }
  return result;
}

