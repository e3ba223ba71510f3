/** `npm run docs:config`: regenerates the schema-generated reference in docs/config.md. */
import fs from 'node:fs';
import path from 'node:path';
import { withReference } from '../lib/config-reference';

const file = path.resolve(__dirname, '../docs/config.md');
fs.writeFileSync(file, withReference(fs.readFileSync(file, 'utf8')));
console.log(`updated ${path.relative(process.cwd(), file)}`);
