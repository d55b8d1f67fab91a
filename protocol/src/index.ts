/**
 * `@elastic-notebook/protocol`: what the browser, the companion and the kernel agent agree on.
 * This entry holds no zod: the objective list, the intercept header, size and duration
 * formatting, and the wire types (type-only exports of `./schemas`, erased at compile time).
 */
export * from './format';
export * from './intercept';
export * from './objectives';
export * from './pricedKinds';
export type * from './schemas/index';
