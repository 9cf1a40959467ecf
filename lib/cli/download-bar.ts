/** The CLI's download progress bar on stderr: bytes so far and in all, rate and time left. */
import { SingleBar } from 'cli-progress';

const megabyte = 1e6;

/** A bar fed with (downloadedBytes, totalBytes); `stop()` clears it. */
export function createDownloadBar(label: string): {
  update: (downloadedBytes: number, totalBytes: number) => void;
  stop: () => void;
} {
  const bar = new SingleBar({
    format: `${label} [{bar}] {percentage}% {done}/{all} MB, {rate} MB/s, ETA {eta_formatted}`,
    stream: process.stderr,
    clearOnComplete: true,
    etaBuffer: 50, // the ETA follows the rate of the last 50 updates, not the whole pull
  });
  let started: number | undefined;
  let stopped = false;
  let startBytes = 0;
  const mb = (bytes: number) => (bytes / megabyte).toFixed(1);
  return {
    update(downloadedBytes, totalBytes) {
      if (stopped || (started === undefined && totalBytes === 0)) return; // nothing to fetch: no bar
      const now = performance.now();
      if (started === undefined) {
        started = now;
        startBytes = downloadedBytes; // a resumed partial file is not part of the rate
        bar.start(totalBytes, downloadedBytes, {
          done: mb(downloadedBytes),
          all: mb(totalBytes),
          rate: '0.0',
        });
        return;
      }
      const seconds = (now - started) / 1000;
      const rate = seconds > 0 ? (downloadedBytes - startBytes) / seconds : 0;
      bar.setTotal(totalBytes);
      bar.update(downloadedBytes, { done: mb(downloadedBytes), all: mb(totalBytes), rate: mb(rate) });
    },
    stop() {
      if (started !== undefined && !stopped) bar.stop();
      stopped = true;
    },
  };
}
