import type { Message } from './messages.js';

/** A rough token count: four characters a token, plus a few per message for the chat framing. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** `estimateTokens` over a conversation, counting 4 tokens of framing per message. */
export function messagesTokens(messages: readonly Message[]): number {
  let total = 0;
  for (const message of messages) total += 4 + estimateTokens(message.content);
  return total;
}
