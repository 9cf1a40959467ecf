/** Native tiling with the kernels this CPU runs (AVX2 where present) against the TypeScript oracle. */
import { describe } from 'vitest';
import { nativeMatchesReference } from '../support/native-tiling-cases.js';

describe('native tiling', () => nativeMatchesReference());
