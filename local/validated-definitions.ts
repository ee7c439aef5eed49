/**
 * aws-local-stepfunctions validates a definition (asl-validator, ajv) each time a StateMachine is
 * made: ≈ 0.5–2 s of CPU per process here, more than the whole execution. A definition that passed
 * once is remembered by its content hash (and the library's version) as an empty marker file in
 * the definition cache folder; an unchanged definition is not validated again. A changed one is.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultCacheDir, PROJECT_ROOT } from './definition-cache';

export interface ValidationPlan {
  /** What to pass as the StateMachine's validationOptions. */
  readonly options: { readonly noValidate: true } | { readonly checkArn: true; readonly checkPaths: true };
  /** Call once the StateMachine was made with these options (i.e. validation passed). */
  passed(): void;
}

function libraryVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'node_modules', 'aws-local-stepfunctions', 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function validationPlan(definition: unknown, cacheDir: string = defaultCacheDir()): ValidationPlan {
  const key = createHash('sha256').update(`aws-local-stepfunctions ${libraryVersion()}\n`).update(JSON.stringify(definition)).digest('hex').slice(0, 32);
  const marker = path.join(cacheDir, 'validated', key);
  if (fs.existsSync(marker)) return { options: { noValidate: true }, passed: () => {} };
  return {
    options: { checkArn: true, checkPaths: true },
    passed() {
      try {
        fs.mkdirSync(path.dirname(marker), { recursive: true });
        fs.writeFileSync(marker, '');
      } catch {
        // a read-only tree validates every time
      }
    },
  };
}
