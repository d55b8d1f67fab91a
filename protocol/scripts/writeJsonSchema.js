// Writes lib/json-schema/<name>.json from the built zod schemas (run after `tsc -p .`).
const fs = require('node:fs');
const path = require('node:path');
const { JSON_SCHEMA_SOURCES, toJsonSchema } = require('../lib/jsonSchemas');

const out = path.join(__dirname, '..', 'lib', 'json-schema');
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
for (const [name, schema] of Object.entries(JSON_SCHEMA_SOURCES)) {
  fs.writeFileSync(path.join(out, `${name}.json`), JSON.stringify(toJsonSchema(schema), null, 2) + '\n');
}
