/**
 * Which build of certflow this process runs, as bin/cli.js tells run(): the dev bundle's entry
 * (a new folder per build) or the installed package's. A command hands work to the local CA
 * daemon only when the daemon runs the same build (local/execution-protocol.ts); under tsx there
 * is no build to name, and the command runs everything itself.
 */
let identity: string | undefined;

export const codeIdentity = (): string | undefined => identity;

export function setCodeIdentity(id: string | undefined): void {
  identity = id;
}
