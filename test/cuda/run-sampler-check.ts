/** The GPU sampler check as a plain script (GPU machine): prints every check, exits 1 on a failure. */
import { passed } from '../support/bf16-golden-check.js';
import { checkDeviceSampler } from '../support/device-sampler-check.js';

const lines = checkDeviceSampler();
for (const line of lines) {
  console.log(
    `${passed(line) ? 'ok  ' : 'FAIL'} ${line.where.padEnd(34)} ${line.check.padEnd(40)} ${line.value.toPrecision(3)} (limit ${line.limit})`,
  );
}
process.exitCode = lines.every(passed) ? 0 : 1;
