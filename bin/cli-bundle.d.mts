/** Types of cli-bundle.mjs (the launcher's precompiled CLI bundle), for the tests. */
export declare const BUILD_FORMAT: number;

/** Where a bundle is built from and into. */
export interface BundleLayout {
  /** Working directory of the build; relative metafile inputs resolve against it. */
  readonly root: string;
  /** The TypeScript entry point. */
  readonly entry: string;
  /** The folder holding the bundle(s) and stamp.json. */
  readonly outDir: string;
  /** Prefix of the bundle's file name (default 'cli'). */
  readonly name?: string;
}

export declare const DEFAULT_LAYOUT: BundleLayout;

/** The bench runner's and the load generator's bundles (bin/bench.mjs). */
export declare const BENCH_LAYOUTS: { readonly runner: BundleLayout; readonly loadGenerator: BundleLayout };

/** The up-to-date bundle's path, or undefined when it is missing or any input changed. */
export declare function freshBundle(outDir?: string): string | undefined;

/** Builds the bundle and its stamp; resolves with the bundle's path. */
export declare function buildBundle(layout?: BundleLayout): Promise<string>;
