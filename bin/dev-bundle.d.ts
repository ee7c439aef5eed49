/** Types of bin/dev-bundle.js (plain JS: bin/cli.js imports it before any TypeScript can run). */
export declare const DEV_BUNDLE_FORMAT: number;
export declare function devBundleDir(root: string): string;
export declare function freshDevBundle(root: string, dir?: string): string | undefined;
export declare function buildDevBundle(root: string, options?: { readonly dir?: string; readonly entry?: string }): Promise<string>;
export declare function devBundle(root: string): Promise<string | undefined>;
