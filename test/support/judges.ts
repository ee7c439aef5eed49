/** The judges of our keystores: the JDK's keytool and OpenSSL, run as a person would. */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pkcs12Profile } from '../../domain/keystores';

export interface Judgement {
  readonly code: number;
  /** stdout followed by stderr (OpenSSL prints `-info` to stderr). */
  readonly output: string;
}

// Non-ASCII passwords travel as arguments, which the JVM and OpenSSL decode with the locale's charset.
const JUDGE_ENV = { ...process.env, LC_ALL: 'C.UTF-8' };

function judge(command: string, args: readonly string[]): Promise<Judgement> {
  return new Promise((resolve) => {
    execFile(command, args, { env: JUDGE_ENV, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, output: `${stdout}${stderr}${code === -1 ? String(error) : ''}` });
    });
  });
}

// keystore.type.compat=false: -storetype JKS must not silently accept a PKCS#12 file (nor the reverse).
const strictTypes = join(mkdtempSync(join(tmpdir(), 'certflow-judges-')), 'java.security');
writeFileSync(strictTypes, 'keystore.type.compat=false\n');
// Start-up flags: each keytool run is a fresh, short-lived JVM (≈ 0.27 s instead of 0.4 s).
const KEYTOOL_FLAGS = [`-J-Djava.security.properties=${strictTypes}`, '-J-XX:TieredStopAtLevel=1', '-J-XX:+UseSerialGC'];

export function keytool(...args: string[]): Promise<Judgement> {
  return judge('keytool', [...KEYTOOL_FLAGS, ...args]);
}

export function openssl(...args: string[]): Promise<Judgement> {
  return judge('openssl', args);
}

/** What `openssl pkcs12 -info -noout` (OpenSSL 3.0) prints for each profile, line by line. */
export const OPENSSL_INFO: Record<Pkcs12Profile, string[]> = {
  legacy: [
    'MAC: sha1, Iteration 2048',
    'MAC length: 20, salt length: 20',
    'PKCS7 Data',
    'Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048',
  ],
  modern: [
    'MAC: sha256, Iteration 10000',
    'MAC length: 32, salt length: 20',
    'PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 10000, PRF hmacWithSHA256',
    'Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 10000, PRF hmacWithSHA256',
  ],
};

export interface ListedEntry {
  readonly alias: string;
  readonly type: string | undefined;
  readonly chainLength: number | undefined;
}

/** Entries of `keytool -list -v` output. */
function listedEntries(output: string): ListedEntry[] {
  return output
    .split(/^Alias name: /m)
    .slice(1)
    .map((block) => {
      const chainLength = /^Certificate chain length: (\d+)$/m.exec(block)?.[1];
      return {
        alias: block.slice(0, block.indexOf('\n')),
        type: /^Entry type: (.+)$/m.exec(block)?.[1],
        chainLength: chainLength === undefined ? undefined : Number(chainLength),
      };
    });
}

/** `keytool -list -v` of a keystore, failing loudly when keytool does. */
export async function listKeystore(path: string, storeType: 'JKS' | 'PKCS12', password: string): Promise<{ storeType: string | undefined; entries: ListedEntry[] }> {
  const { code, output } = await keytool('-list', '-v', '-keystore', path, '-storetype', storeType, '-storepass', password);
  if (code !== 0) throw new Error(`keytool -list failed (${code}): ${output}`);
  return { storeType: /^Keystore type: (.+)$/m.exec(output)?.[1], entries: listedEntries(output) };
}

