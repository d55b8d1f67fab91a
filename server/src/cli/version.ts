import fs from 'fs';
import path from 'path';

/**
 * The version of this package, read from its package.json (two folders above the compiled
 * `lib/cli/`), or "unknown" when that file is not shipped beside the code.
 */
export function packageVersion(): string {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    return typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
