/** The kinds of work the planner prices per byte (`costModel.throughputs` of a plan). */

/** Every priced kind, in the order explanations list them. */
export const PRICED_KINDS = ['serialize', 'write', 'read', 'deserialize', 'checkpoint', 'restore', 'hash'] as const;

/** A kind of work the planner prices per byte. */
export type PricedKind = (typeof PRICED_KINDS)[number];
