/**
 * Write schemas/*.json from the zod contracts (domain/contracts). `npm run schemas`; commit the
 * result (a unit test fails while a committed file differs from what this writes).
 */
import { writeFileSync } from 'node:fs';
import { jsonSchemaText, PUBLISHED_SCHEMAS } from '../domain/contracts/json-schemas';

for (const file of Object.keys(PUBLISHED_SCHEMAS)) {
  writeFileSync(new URL(`../schemas/${file}`, import.meta.url), jsonSchemaText(file));
  console.log(`schemas/${file}`);
}
