/**
 * Loads the native addon (prebuilt binary first, then a local build) and declares the typed
 * surface it exports, whole: everything else in lib/ reaches native code through
 * {@link nativeAddon} and these types, never through a cast.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { CheckpointTable } from '../checkpoint/index.js';
import { NativeMissingError } from '../errors.js';
import type { GenerateOptions } from '../options.js';
import type {
  CpuPrecision,
  EngineOptions,
  NativeGeneratorClass,
  NativeGrammar,
  NativeModelHandle,
  NativeVocabulary,
} from './native-types.js';

/** One device the CUDA runtime reported. */
export interface CudaDevice {
  index: number;
  name: string;
  totalMemoryBytes: number;
  freeMemoryBytes: number;
  /** "major.minor", e.g. "9.0" for Hopper. */
  computeCapability: string;
  multiprocessorCount: number;
}

/** A compute backend of this binary and whether it can run here. */
export type BackendInfo =
  | {
      name: 'cpu';
      compiled: true;
      available: true;
      threads: number;
      /** The GEMM kernels each cpuPrecision runs here ('bf16' only where the processor has AVX-512 BF16). */
      kernels: { fp32: 'avx2' | 'portable'; bf16?: 'avx512-bf16' };
      /** The cpuPrecision a model loads with unless told. */
      defaultPrecision: CpuPrecision;
    }
  | {
      name: 'cuda';
      compiled: boolean;
      available: boolean;
      /** Why CUDA cannot be used, when it cannot. */
      reason?: string;
      driverVersion: number;
      runtimeVersion: number;
      devices: CudaDevice[];
    };

/**
 * One CPU GEMM alone (a test and bench hook, native/napi/cpu_kernel_probes.cc): y = x w^T (+ bias)
 * through the dispatch a model uses, in `precision` (default 'fp32'; 'bf16' is refused without
 * AVX-512 BF16), added to `y` when given; `seconds` is the mean of `repeats` calls.
 */
export interface CpuMatmulProbe {
  /** [M, K] */
  x: Float32Array;
  /** [N, K]: bf16 bits (a Linear weight as stored: matmulBf16) or fp32 (attention's operands: matmulF32, no bias or y) */
  w: Uint16Array | Float32Array;
  M: number;
  K: number;
  N: number;
  bias?: Float32Array;
  y?: Float32Array;
  precision?: CpuPrecision;
  /** 0 (default): every core */
  threads?: number;
  repeats?: number;
}

/** The functions and classes the addon exports (native/napi/). */
export interface NativeAddon {
  version(): string;
  backends(): BackendInfo[];
  /** Bytes read + written per second by a 2 GiB device-to-device copy on a GPU (benches' ceiling). */
  measureCopyBandwidth(device?: number): number;
  /**
   * CUDA kernel launches by kernel name since the last reset (launches captured into a CUDA graph
   * count once); `reset` starts the counts again after this read. Empty without CUDA.
   */
  cudaKernelLaunches(reset?: boolean): Record<string, number>;
  /** Copies every weight of a loaded model to GPU memory in large pinned chunks and frees it (bench/load). */
  measureGpuUpload(model: NativeModelHandle): Promise<{ bytes: number; seconds: number }>;
  /** Maps and loads a validated checkpoint on a worker thread. */
  loadModel(checkpoint: CheckpointTable, options: EngineOptions): Promise<NativeModelHandle>;
  /** The scheduler of a loaded model: requests in, batched token events out (continuous batching). */
  NativeGenerator: NativeGeneratorClass;
  /**
   * A vocabulary for constrained decoding, its trie built on a worker thread: bytes holds every
   * token's text, offsets [size + 1] where each starts, special [size] 1 for added tokens.
   */
  createVocabulary(bytes: Uint8Array, offsets: Float64Array, special: Uint8Array): Promise<NativeVocabulary>;
  /**
   * Grammar text (native/grammar/README.md) compiled on a worker thread; rejects with VL2_CONSTRAINT
   * ("line L, column C: ...") for what the dialect refuses. allowedSpecial: added tokens the grammar
   * may spell by their text (the grounding tags); other special tokens are never allowed.
   */
  compileGrammar(
    text: string,
    vocabulary: NativeVocabulary,
    allowedSpecial: Int32Array,
  ): Promise<NativeGrammar>;
  /**
   * The native sampler alone (a test hook): the distribution it draws from after every filter
   * (kept ids most likely first, probabilities renormalised) and `draws` tokens drawn by one sampler,
   * or with `{ device: 'cuda' }` by the GPU sampler (draw i with counter i of the seed).
   */
  probeCpuMatmul(probe: CpuMatmulProbe): { y: Float32Array; seconds: number };
  probeSampler(
    logits: Float32Array,
    sampling: SamplerProbeOptions,
    seenIds: Int32Array,
    draws: number,
    where?: { device: 'cpu' | 'cuda' },
  ): { ids: Int32Array; probs: Float32Array; draws: Int32Array; logprobs: Float32Array };
  /**
   * One image's tiles on the image pool (native/image): rgb [height][width][3] pad-resized onto the
   * global view and the canvas, written as 1 + tiles of [384][384][3] into out from byte outOffset.
   * releaseRgb: rgb's memory goes back to the OS once tiled (it reads as zeros after), so freeing
   * it later costs the JS thread nothing.
   */
  tileImage(
    rgb: Uint8Array | DecodedPixels,
    width: number,
    height: number,
    canvasWidth: number,
    canvasHeight: number,
    fill: [number, number, number],
    out: Uint8Array,
    outOffset: number,
    releaseRgb?: boolean,
  ): Promise<void>;
  /**
   * Decodes with sharp's libvips into native memory (off the JS thread); undefined when the image needs
   * sharp's conversions (greyscale, alpha, CMYK, 16 bits), is not JPEG, PNG or WebP, or libvips was not
   * found, and also when libvips cannot decode it (sharp's pipeline then decodes or refuses it).
   * Rejects only for more than maxPixels pixels (read from the header).
   */
  decodeImage(
    bytes: Uint8Array,
    maxPixels: number,
  ): Promise<{ pixels: DecodedPixels; width: number; height: number } | undefined>;
  /** 'libvips' when decodeImage can decode, 'sharp' when every image goes through sharp. */
  imageDecoder(): 'libvips' | 'sharp';
  /** Threads of the image pool. */
  imageThreads(): number;
  /** Resizes the image pool; 0 restores the default, one thread per core. */
  setImageThreads(threads: number): void;
  /** Which resize kernels run: 'avx2' or 'portable' (VL2_CPU_KERNELS=portable forces the latter). */
  imageKernels(): 'avx2' | 'portable';
}

/** A decoded image held in native memory; tileImage consumes it (a second use is refused). */
declare const decodedPixelsBrand: unique symbol;
export type DecodedPixels = { readonly [decodedPixelsBrand]: true };

/** Sampling options as the native sampler takes them (already validated by lib/options.ts). */
export type SamplerProbeOptions = Pick<
  GenerateOptions,
  'temperature' | 'topK' | 'topP' | 'minP' | 'repetitionPenalty' | 'seed'
>;

/** The package root: the folder holding our package.json, whether we run from lib/ or dist/. */
export function packageRoot(): string {
  let dir = __dirnameOfThisModule();
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === 'deepseek-vl2') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new NativeMissingError('cannot find the deepseek-vl2 package root');
    dir = parent;
  }
}

function __dirnameOfThisModule(): string {
  // Works in both module systems: CommonJS defines __dirname, ESM has import.meta (not
  // expressible in a file that also compiles to CommonJS), so fall back to the stack.
  if (typeof __dirname === 'string') return __dirname;
  const line = new Error().stack?.split('\n').find((l) => l.includes('addon.'));
  const match = line?.match(/(?:file:\/\/)?(\/[^:)]+)\/addon\.[jt]s/);
  if (!match?.[1]) throw new NativeMissingError('cannot locate the deepseek-vl2 module folder');
  return match[1];
}

let cached: NativeAddon | undefined;

/**
 * Names a .node file to load instead of the prebuild or build/Release: the sanitizer build
 * (build-asan/, `npm run test:asan`) or any other local build under test. When set, that file is
 * loaded or loading fails; there is no fallback to another binary.
 */
export const addonPathVariable = 'VL2_NATIVE_ADDON';

/** The loaded addon; throws {@link NativeMissingError} saying how to build it when none loads. */
export function nativeAddon(): NativeAddon {
  if (cached) return cached;
  const root = packageRoot();
  const require = createRequire(join(root, 'package.json'));
  const override = process.env[addonPathVariable];
  if (override) {
    try {
      cached = require(resolve(override)) as NativeAddon;
    } catch (error) {
      throw new NativeMissingError(
        `${addonPathVariable}=${override} does not load: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    return cached;
  }
  try {
    const load = require('node-gyp-build') as (dir: string) => NativeAddon;
    cached = load(root);
  } catch (error) {
    throw new NativeMissingError(
      `the deepseek-vl2 native addon is not built for ${process.platform}-${process.arch} ` +
        `(Node-API 8; looked in ${join(root, 'prebuilds')} and ${join(root, 'build', 'Release')}). ` +
        'Build it from the package folder with `npm run build:native` (needs cmake and a C++17 compiler; ' +
        'nvcc adds the CUDA backend), or install a release that ships a prebuild for this platform. ' +
        `Cause: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return cached;
}
