/** Who said a message in a chat conversation. */
export type Role = 'system' | 'user' | 'assistant';

/** One chat turn. Every provider maps this to its own wire shape. */
export interface Message {
  readonly role: Role;
  readonly content: string;
}

/** A user turn. */
export function user(content: string): Message {
  return { role: 'user', content };
}

/** An assistant turn. */
export function assistant(content: string): Message {
  return { role: 'assistant', content };
}

/** A system turn. */
export function system(content: string): Message {
  return { role: 'system', content };
}
