// Prints the plain closing line CI reads ("N passed, N failed[, N skipped]") from vitest's JSON
// report, and exits 1 when any test failed or the report is missing.
//   node scripts/vitest-summary.mjs [report.json] [exit code of the test command]
// A non-zero exit code with no failed test in the report (a test worker that crashed after its
// tests passed: vitest's "Errors: 1 error") counts as one failure, so the line never says 0 failed
// for a red run.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.vitest-report.json';
const testExitCode = Number(process.argv[3] ?? 0);
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.log(`vitest report ${file} is missing or unreadable: ${err.message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
// A file that failed without any failing test (an import error, a hook) still counts once.
const failedTests = report.numFailedTests ?? 0;
let failed = failedTests > 0 ? failedTests : (report.numFailedTestSuites ?? 0);
if (failed === 0 && testExitCode !== 0) {
  console.log(
    `the test command exited with ${testExitCode} though every test passed: an unhandled error or a crashed test worker (see "Unhandled Errors" above)`,
  );
  failed = 1;
}
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || report.success === false ? 1 : 0);
