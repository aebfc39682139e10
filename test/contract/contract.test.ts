/**
 * The contract suite (`npm run test:contract`): every scenario in ./scenarios against the simulator, and against a real
 * tenant when the O365_* variables are set (skipped otherwise, saying so). See harness.ts for how to add a scenario.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SimulatorTarget, tenantMissing, TenantTarget, type Scenario, type Target } from './harness';

function loadScenarios(): Scenario[] {
  const dir = path.join(__dirname, 'scenarios');
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.scenario.ts'))
    .sort();
  return files.flatMap((file) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(dir, file)) as { scenario?: Scenario; scenarios?: Scenario[] };
    const found = [...(mod.scenario ? [mod.scenario] : []), ...(mod.scenarios ?? [])];
    if (found.length === 0) throw new Error(`contract: ${file} exports no scenario`);
    return found;
  });
}

const SCENARIOS = loadScenarios();

function suite(name: string, make: () => Target, skipReason: () => string | undefined): void {
  describe(`contract: ${name}`, function () {
    let target: Target;

    before(async function () {
      const reason = skipReason();
      if (reason) {
        console.log(`    contract suite against ${name} skipped: ${reason}`);
        this.skip();
      }
      this.timeout(120_000);
      target = make();
      await target.start();
    });

    after(async function () {
      this.timeout(120_000);
      await target?.stop();
    });

    afterEach(function () {
      if (target && this.currentTest?.state === 'passed') target.afterScenario();
    });

    for (const scenario of SCENARIOS) {
      it(scenario.name, async function () {
        const missing = (scenario.requires ?? []).filter(() => target.kind !== 'simulator');
        if (missing.length) {
          console.log(`      skipped on ${name}: needs the simulator's ${missing.join(', ')}`);
          this.skip();
        }
        this.timeout(target.kind === 'simulator' ? 30_000 : (scenario.timeoutMs ?? 180_000));
        if (!scenario.knownIssue) {
          await scenario.run(target);
          return;
        }
        let failure: unknown;
        try {
          await scenario.run(target);
        } catch (err) {
          failure = err;
        }
        if (failure === undefined) {
          throw new Error(
            `contract: "${scenario.name}" passes now: remove its knownIssue mark (${scenario.knownIssue})`,
          );
        }
        console.log(
          `      known product bug (${scenario.knownIssue}): ${(failure as Error).message.split('\n')[0]}`,
        );
        this.skip();
      });
    }
  });
}

suite(
  'simulator',
  () => new SimulatorTarget(),
  () => undefined,
);
suite('real tenant', () => new TenantTarget(), tenantMissing);
