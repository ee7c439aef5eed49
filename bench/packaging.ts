/**
 * Packaging per certificate: verify + describe + every keystore (PKCS#12 ×2, JKS ×2, password),
 * and the same plus writing the version to the file store — for real Pebble-issued chains.
 * Also native key generation per key type.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileCertificateStore } from '../domain/adapters/local/file-store';
import { describeCertificate, generatePrivateKey, splitPemChain, verifyIssuedChain } from '../domain/core/certificate';
import type { KeyType } from '../domain/core/key-types';
import { verifyChainToAnchors } from '../domain/core/trust-anchors';
import type { KeystoreProfile } from '../domain/core/request';
import { buildKeystoreFiles, generateKeystorePassword } from '../domain/keystores';
import { FILE } from '../domain/keystores/formats';
import { startLocalPipeline } from '../local/environment';
import { median } from './stats';

export interface PackagingFigures {
  readonly keyType: KeyType;
  readonly profile: KeystoreProfile;
  readonly runs: number;
  readonly packageMedianMs: number;
  readonly packageAndStoreMedianMs: number;
}

export interface KeygenFigures {
  readonly keyType: KeyType;
  readonly runs: number;
  readonly medianMs: number;
}

async function time(action: () => unknown): Promise<number> {
  const started = performance.now();
  await action();
  return performance.now() - started;
}

/** One real certificate per key type from Pebble, through the state machine. */
async function issuedChains(keyTypes: readonly KeyType[]) {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-bench-pkg-'));
  const pipeline = await startLocalPipeline({ root });
  try {
    const chains = new Map<KeyType, { chain: string[]; privateKeyPem: string; names: string[]; trustAnchors: string[] }>();
    const trustAnchors = [await pipeline.pebble.rootPem()];
    for (const keyType of keyTypes) {
      const names = [`pkg-${keyType}.certflow.test`, `*.pkg-${keyType}.certflow.test`];
      const result = await pipeline.executor.run({ certificateId: `pkg-${keyType}`, names, keyType });
      if (result.status !== 'SUCCEEDED') throw new Error(`issuing the ${keyType} benchmark certificate failed: ${result.cause}`);
      const dir = path.join(root, 'live', `pkg-${keyType}`);
      const read = (file: string) => fs.readFile(path.join(dir, file), 'utf8');
      chains.set(keyType, { chain: splitPemChain(await read(FILE.fullchain)), privateKeyPem: await read(FILE.privateKey), names, trustAnchors });
    }
    return chains;
  } finally {
    await pipeline.stop();
    await fs.rm(root, { recursive: true, force: true });
  }
}

export async function benchPackaging(runs: number, progress: (line: string) => void): Promise<PackagingFigures[]> {
  const keyTypes = ['ec-p256', 'rsa-2048'] as const;
  const chains = await issuedChains(keyTypes);
  const storeRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-bench-store-'));
  const store = new FileCertificateStore(storeRoot);
  const figures: PackagingFigures[] = [];
  try {
    for (const keyType of keyTypes) {
      const { chain, privateKeyPem, names, trustAnchors } = chains.get(keyType)!;
      for (const profile of ['legacy', 'modern'] as const) {
        const packageOnce = () => {
          const now = new Date();
          verifyIssuedChain({ chain, privateKeyPem, names, now });
          verifyChainToAnchors(chain, trustAnchors, now);
          const metadata = describeCertificate(chain[0]!, keyType);
          const files = buildKeystoreFiles({ chain, trustAnchors, privateKeyPem, password: generateKeystorePassword(), options: { alias: 'bench', profile }, created: now });
          return { metadata, files };
        };
        const packaged: number[] = [];
        const stored: number[] = [];
        for (let i = -3; i < runs; i += 1) {
          const packageMs = await time(packageOnce);
          const storeMs = await time(async () => {
            const { metadata, files } = packageOnce();
            const { pending } = await store.pendingKey('bench', `order-${keyType}-${profile}-${i}`, async () => privateKeyPem);
            await store.promote(pending, { certificatePem: chain[0]!, chainPem: chain.slice(1).join(''), privateKeyPem, metadata, files });
          });
          if (i < 0) continue; // warm-up
          packaged.push(packageMs);
          stored.push(storeMs);
        }
        figures.push({ keyType, profile, runs, packageMedianMs: median(packaged), packageAndStoreMedianMs: median(stored) });
        progress(`  packaging ${keyType}/${profile}: ${median(packaged).toFixed(2)} ms (with store ${median(stored).toFixed(2)} ms)`);
      }
    }
    return figures;
  } finally {
    await fs.rm(storeRoot, { recursive: true, force: true });
  }
}

export async function benchKeyGeneration(runs: number): Promise<KeygenFigures[]> {
  const plan: [KeyType, number][] = [['ec-p256', runs], ['ec-p384', runs], ['rsa-2048', runs], ['rsa-3072', 10], ['rsa-4096', 5]];
  const figures: KeygenFigures[] = [];
  for (const [keyType, count] of plan) {
    const samples: number[] = [];
    for (let i = 0; i < count; i += 1) samples.push(await time(() => generatePrivateKey(keyType)));
    figures.push({ keyType, runs: count, medianMs: median(samples) });
  }
  return figures;
}
