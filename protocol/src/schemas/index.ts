/**
 * `@elastic-notebook/protocol/schemas`: every wire shape as a zod schema, for the code that
 * validates (the companion, the CLI, the JSON Schema the Python tests check the agent against).
 * The browser imports the types from the package's main entry, which holds no zod.
 */
export * from './agentReplies';
export * from './catalog';
export * from './costModel';
export * from './errors';
export * from './graph';
export * from './ids';
export * from './issues';
export * from './jobs';
export * from './marks';
export * from './measurements';
export * from './migrate';
export * from './objective';
export * from './plan';
export * from './records';
export * from './requests';
export * from './results';
export * from './targets';
