/** `vl2 backends`: which compute backends this installation can use. */
import type { Command } from 'commander';
import { backends, nativeVersion } from '../backends.js';

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

export function describeBackends(): string {
  const lines = [`deepseek-vl2 native ${nativeVersion()}`];
  for (const backend of backends()) {
    if (backend.name === 'cpu') {
      const { kernels, defaultPrecision } = backend;
      const bf16 = kernels.bf16
        ? `cpuPrecision 'bf16' runs ${kernels.bf16}`
        : "no AVX-512 BF16, so no cpuPrecision 'bf16'";
      lines.push(
        `cpu: available, ${backend.threads} threads, kernels ${kernels[defaultPrecision] ?? kernels.fp32} ` +
          `(cpuPrecision '${defaultPrecision}' by default; 'fp32' runs ${kernels.fp32}, ${bf16})`,
      );
    } else if (!backend.available) {
      lines.push(`cuda: unavailable (${backend.reason ?? 'unknown reason'})`);
    } else {
      for (const d of backend.devices) {
        lines.push(
          `cuda:${d.index}: ${d.name}, compute capability ${d.computeCapability}, ` +
            `${gib(d.totalMemoryBytes)} (${gib(d.freeMemoryBytes)} free), ${d.multiprocessorCount} SMs`,
        );
      }
    }
  }
  return lines.join('\n');
}

export function registerBackendsCommand(program: Command): void {
  program
    .command('backends')
    .description('list the compute backends (CPU, CUDA GPUs) this installation can use')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      console.log(options.json ? JSON.stringify(backends(), null, 2) : describeBackends());
    });
}
