/** The seed equations as a reference module without a Jacobian, as a default export (test fixture). */
import { f, inputs, outputs } from "./seed_with_jacobian.ts";

export default { inputs, outputs, f };
