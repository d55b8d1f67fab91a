/** The Application History Graph: types, the incremental graph with `req(v)`, and its store. */
export * from './types';
export { HistoryGraph } from './graph';
export { HistoryStore } from './store';
export type { IKernelSummary, IngestResult } from './store';
