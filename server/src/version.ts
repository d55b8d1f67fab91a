import fs from 'fs';
import path from 'path';

/**
 * The version of this package (the CLI's `--version`, `/api/health`), read from its package.json
 * (one folder above the compiled `lib/`), or "unknown" when that file is not shipped beside the code.
 */
export function packageVersion(): string {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
    return typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
