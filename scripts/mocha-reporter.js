// Mocha's spec reporter plus a machine-readable tally: when FLATROUTE_TEST_STATS
// names a file, the counts are written there so .ci/run can print its summary
// line after npm has finished writing its own output.
const fs = require("node:fs");
const Mocha = require("mocha");

class FlatrouteReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const counts = { passed: 0, failed: 0, pending: 0 };
    runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, () => counts.passed++);
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, () => counts.failed++);
    runner.on(Mocha.Runner.constants.EVENT_TEST_PENDING, () => counts.pending++);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const file = process.env.FLATROUTE_TEST_STATS;
      if (file) fs.writeFileSync(file, JSON.stringify(counts));
    });
  }
}

module.exports = FlatrouteReporter;
