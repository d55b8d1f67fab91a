/** Library exports of the companion server. */
export * from './ahg/types';
export { HistoryGraph } from './ahg/graph';
export { HistoryStore } from './ahg/store';
export { createApp } from './app';
export { ingestToken } from './auth';
