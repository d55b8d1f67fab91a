/**
 * The plan's footnote in words: which throughputs priced the plan, for which store, and whether
 * each number was measured (and on how many transfers) or is a default. Pure, so that it can be
 * tested without a browser (server/test/frontend/planFootnote.test.ts).
 */
import { formatBytes } from '@elastic-notebook/protocol';
import type { ICostModel, PricedKind } from '@elastic-notebook/protocol';

/**
 * The parts of a plan's cost model the footnote reads: `measured`, and whatever else the plan has
 * (plans of older companions have fewer of the numbers and throughputs).
 */
export type IPricedModel = Pick<ICostModel, 'measured'> &
  Partial<Omit<ICostModel, 'measured' | 'throughputs'>> & { throughputs?: Partial<ICostModel['throughputs']> };

/** `1.2 GB/s` (decimal units, like the panel's sizes). */
export function formatRate(bytesPerSec: number): string {
  return `${formatBytes(bytesPerSec)}/s`;
}

/** `3 ms`, `0.5 ms`, `1.2 s`. */
function formatLatency(ms: number): string {
  if (ms >= 1000) {
    return `${Number((ms / 1000).toPrecision(2))} s`;
  }
  return `${Number(ms.toPrecision(ms >= 10 ? 2 : 1))} ms`;
}

/** Where the payloads are written, in words. */
export function storeName(store: string | undefined): string {
  if (store === 'local') {
    return 'the local folder';
  }
  const s3 = store ? /^s3:\/\/(.+)$/.exec(store) : null;
  return s3 ? `S3 (${s3[1]})` : 'the store';
}

const NOUNS: Record<PricedKind, string> = {
  serialize: 'groups',
  write: 'transfers',
  read: 'transfers',
  deserialize: 'loads',
  checkpoint: 'checkpoints',
  restore: 'restores',
  hash: 'fingerprints'
};

/** `(median of 12 transfers)`, `(from 2 transfers and the default)`, `(default)`. */
function provenance(samples: number, kind: PricedKind): string {
  if (samples === 0) {
    return '(default)';
  }
  const noun = samples === 1 ? NOUNS[kind].replace(/s$/, '') : NOUNS[kind];
  return samples >= 3 ? `(median of ${samples} ${noun})` : `(${samples} ${noun} weighed with the default)`;
}

const FLAT: Partial<Record<PricedKind, keyof IPricedModel>> = {
  serialize: 'serializeBytesPerSec',
  write: 'writeBytesPerSec',
  read: 'readBytesPerSec',
  deserialize: 'deserializeBytesPerSec'
};

/** One throughput in words, e.g. `writing to the local folder 800 MB/s (median of 12 transfers)`. */
function transferPhrase(
  model: IPricedModel,
  kind: 'serialize' | 'write' | 'read' | 'deserialize' | 'hash',
  verb: string
): string | null {
  const t = model.throughputs?.[kind];
  if (t) {
    // The large-group number; the 1-64 MB one too when it differs much (latency-bound transfers).
    const [, medium, large] = t.bytesPerSec;
    const differs = medium > 0 && (large / medium > 1.5 || medium / large > 1.5);
    const small = differs ? `, ${formatRate(medium)} for groups under 64 MB ${provenance(t.rateSamples[1], kind)}` : '';
    const latency =
      t.latencySamples > 0 ? `, ${formatLatency(t.latencyMs)} per operation ${provenance(t.latencySamples, kind)}` : '';
    return `${verb} ${formatRate(large)} ${provenance(t.rateSamples[2], kind)}${small}${latency}`;
  }
  const field = FLAT[kind];
  const flat = field ? model[field] : undefined;
  if (field === undefined || typeof flat !== 'number') {
    return null;
  }
  return `${verb} ${formatRate(flat)} ${model.measured.includes(field) ? '(measured)' : '(default)'}`;
}

/** The fixed work of a checkpoint or a restore in words. */
function fixedPhrase(model: IPricedModel, kind: 'checkpoint' | 'restore'): string | null {
  const t = model.throughputs?.[kind];
  if (!t) {
    return null;
  }
  return `${formatLatency(t.latencyMs)} of fixed work per ${kind} ${provenance(t.latencySamples, kind)}`;
}

/**
 * The footnote: "Priced with: pickling 1.2 GB/s (median of 5 groups), writing to the local folder
 * 800 MB/s (median of 12 transfers), ... ." Every number says whether it was measured or is a
 * default; a plan priced only with defaults says so first.
 */
export function pricedWith(model: IPricedModel): string {
  const phrases = [
    transferPhrase(model, 'serialize', 'pickling'),
    transferPhrase(model, 'write', `writing to ${storeName(model.store)}`),
    transferPhrase(model, 'read', `reading from ${storeName(model.store)}`),
    transferPhrase(model, 'deserialize', 'loading'),
    fixedPhrase(model, 'checkpoint'),
    fixedPhrase(model, 'restore'),
    transferPhrase(model, 'hash', 'hashing arrays to verify them')
  ].filter((p): p is string => p !== null);
  if (typeof model.transferBytesPerSec === 'number') {
    const how = model.measured.includes('transferBytesPerSec') ? '(measured for the target)' : '(default)';
    phrases.push(`sending to the target ${formatRate(model.transferBytesPerSec)} ${how}`);
  }
  if (typeof model.rerunLatencyMs === 'number') {
    const speed =
      model.targetSpeed !== undefined && model.targetSpeed !== 1
        ? ` at ${model.targetSpeed}x the recorded speed`
        : ' at their recorded time';
    const samples = model.rerunLatencySamples ?? 0;
    phrases.push(
      `re-running cells${speed} plus ${formatLatency(model.rerunLatencyMs)} each ${samples ? `(median of ${samples} restores)` : '(default)'}`
    );
  }
  if (typeof model.importMsPerModule === 'number') {
    const samples = model.importSamples ?? 0;
    phrases.push(
      `importing libraries again ${formatLatency(model.importMsPerModule)} per module ${samples ? `(median of ${samples} restores)` : '(default)'}`
    );
  }
  const allDefaults = model.measured.length === 0;
  const head = allDefaults
    ? 'Priced with default numbers until checkpoints and restores have been measured: '
    : 'Priced with: ';
  return `${head}${phrases.join(', ')}.`;
}
