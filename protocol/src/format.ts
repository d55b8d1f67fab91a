/** Short human-readable sizes and durations, for the panel, the CLI and progress steps. */

/** Decimal (SI) size units: `kB` is 1000 bytes. */
const SIZE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** `1.5 MB` (decimal units, like the sizes the planner prices): three significant digits at most. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < SIZE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${Number(value.toFixed(digits))} ${SIZE_UNITS[unit]}`;
}

/** `0.4 ms`, `12 ms`, `1.2 s`, `3 min 5 s`, `2 h 5 min`. */
export function formatMs(ms: number): string {
  if (ms < 10) {
    return `${Number(ms.toFixed(1))} ms`;
  }
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  if (ms < 60_000) {
    return `${Number((ms / 1000).toFixed(ms < 10_000 ? 2 : 1))} s`;
  }
  const seconds = Math.round(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ${seconds % 60} s`;
  }
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
