// flatroute against each real implementation: one describe per implementation,
// all built from the shared scenario table in scenarios.ts.
import { IMPLEMENTATIONS } from "./implementations";
import { describeInterop } from "./scenarios";

for (const impl of IMPLEMENTATIONS) describeInterop(impl);
