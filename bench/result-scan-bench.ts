/**
 * `--scan-results` alone (`node dist-test/bench/result-scan-bench.js` after a --fixtures build):
 * the in-process scan cost per KB of result text that `npm run bench` (proxy-bench) also prints.
 */
import { resultScanTable } from './lib/result-scan-bench';

process.stdout.write(`${resultScanTable()}\n`);
