/**
 * Bandwidth from this machine to each target, as real transfers measured it: the migration
 * records every transfer to a target with {@link recordBandwidth}; the target listing shows the
 * median of the recent ones ({@link measuredBandwidth}) and probes only when there is none.
 * Kept in `<dataDir>/bandwidth.json`, one window of observations per `transfer:<targetName>`.
 */
import { promises as fs } from 'fs';
import path from 'path';
import { median } from '../planner/index';

/** How many recent transfers are kept per target. */
export const BANDWIDTH_WINDOW = 15;

/** The file's JSON. */
interface IBandwidthFile {
  format: 'elastic-notebook-bandwidth';
  version: 1;
  /** `transfer:<targetName>` -> `[bytes, ms, ISO time]`, oldest first. */
  observations: Record<string, Array<[number, number, string]>>;
}

/** The observation key of a target. */
export const transferKey = (targetName: string) => `transfer:${targetName}`;

const fileOf = (dataDir: string) => path.join(dataDir, 'bandwidth.json');

/** The file's observations (a missing or damaged file holds none). */
async function readObservations(dataDir: string): Promise<IBandwidthFile['observations']> {
  try {
    const json = JSON.parse(await fs.readFile(fileOf(dataDir), 'utf8')) as Partial<IBandwidthFile>;
    return json && typeof json.observations === 'object' && json.observations ? json.observations : {};
  } catch {
    return {};
  }
}

// Concurrent records must not lose each other's writes.
let writing: Promise<void> = Promise.resolve();

/**
 * Remember that `bytes` went to target `targetName` in `ms` (a real transfer: a migration's
 * upload). Nonsense (not finite, not positive) is ignored; so are write failures: measurements
 * are an optimisation.
 */
export function recordBandwidth(dataDir: string, targetName: string, bytes: number, ms: number): Promise<void> {
  if (!(Number.isFinite(bytes) && Number.isFinite(ms) && bytes > 0 && ms > 0)) {
    return writing;
  }
  writing = writing.then(async () => {
    const observations = await readObservations(dataDir);
    const key = transferKey(targetName);
    const kept = Array.isArray(observations[key]) ? observations[key] : [];
    observations[key] = [...kept, [bytes, ms, new Date().toISOString()] as [number, number, string]].slice(
      -BANDWIDTH_WINDOW
    );
    const file = fileOf(dataDir);
    const temp = `${file}.${process.pid}.tmp`;
    const body: IBandwidthFile = { format: 'elastic-notebook-bandwidth', version: 1, observations };
    try {
      await fs.mkdir(dataDir, { recursive: true });
      await fs.writeFile(temp, JSON.stringify(body));
      await fs.rename(temp, file);
    } catch {
      await fs.rm(temp, { force: true }).catch(() => undefined);
    }
  });
  return writing;
}

/** The median bandwidth of the recent transfers to `targetName`, bytes/s; null when none was measured. */
export async function measuredBandwidth(dataDir: string, targetName: string): Promise<number | null> {
  const kept = (await readObservations(dataDir))[transferKey(targetName)];
  if (!Array.isArray(kept)) {
    return null;
  }
  const rates = kept
    .filter(o => Array.isArray(o) && Number(o[0]) > 0 && Number(o[1]) > 0)
    .map(([bytes, ms]) => (Number(bytes) * 1000) / Number(ms));
  return rates.length ? median(rates) : null;
}
