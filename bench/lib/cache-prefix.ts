// The part of an Anthropic Messages request a prompt cache can serve: its bytes up to the cache breakpoint.

/** The bytes of a Messages request up to and including its last `cache_control` block; `undefined` without one. */
export function cachedPrefix(body: unknown): string | undefined {
  const { system, messages } = body as { system?: unknown; messages?: unknown };
  const blocks: unknown[] = [];
  if (Array.isArray(system)) for (const block of system as unknown[]) blocks.push(['system', block]);
  else if (system !== undefined) blocks.push(['system', system]);
  if (Array.isArray(messages)) {
    for (const message of messages as { role: string; content: unknown }[]) {
      if (Array.isArray(message.content)) for (const block of message.content as unknown[]) blocks.push([message.role, block]);
      else blocks.push([message.role, message.content]);
    }
  }
  const last = blocks.findLastIndex((entry) => {
    const block = (entry as [string, unknown])[1];
    return typeof block === 'object' && block !== null && (block as { cache_control?: unknown }).cache_control != null;
  });
  return last < 0 ? undefined : JSON.stringify(blocks.slice(0, last + 1));
}
