/**
 * What a warning is about. Codes are stable across releases, so code can filter on them;
 * the message says the same in words and may change.
 * - `parameter-ignored`: a provider ignored a request parameter (Anthropic 1.x has no `temperature`).
 * - `usage-missing`: a response had no `usage`; its cost is `null` and budgets on cost and tokens cannot see it.
 * - `n-ignored`: a server answered a request for several completions with one; the run fans out from then on.
 * - `short-response`: a request for several completions returned fewer; the rest were fetched one request each.
 * - `cache-failed`: the response cache could not be read (the sample was requested) or written (it is kept, not cached).
 * - `journal-unserialisable`: a value the journal cannot hold was journaled as a marker.
 * - `journal-partial-line`: a partial last line (a crash mid-write) was skipped when the journal was read.
 * - `resume-diverged`: journaled samples were made with other prompts than the resumed run builds; they were sampled again.
 * - `budget-reached`: the next request could cross a budget; the run ends early.
 * - `price-unknown`: the model has no price, so costs are `null`; give the provider `prices`.
 * - `nothing-scored`: an iteration's training samples all failed; the loop has nothing to select from.
 * - `fine-tune-skipped`: a fine-tuning job was due but the kept set had too few examples; the model stays as it was.
 * - `batch-entries-failed`: entries of a batch errored, expired or were cancelled; they were requested live or recorded as failed samples.
 * - `batch-live`: batch mode does not carry episodes (each turn waits on the last); they were sampled live.
 * - `rate-limited`: the provider's rate limits (its headers, or 429s) are holding requests back; at most once a minute.
 */
export type WarningCode =
  | 'parameter-ignored'
  | 'usage-missing'
  | 'n-ignored'
  | 'short-response'
  | 'cache-failed'
  | 'journal-unserialisable'
  | 'journal-partial-line'
  | 'resume-diverged'
  | 'budget-reached'
  | 'nothing-scored'
  | 'price-unknown'
  | 'fine-tune-skipped'
  | 'batch-entries-failed'
  | 'batch-live'
  | 'rate-limited';

/** Something a run or a provider did differently from what was asked, and why. */
export interface Warning {
  readonly code: WarningCode;
  readonly message: string;
}
