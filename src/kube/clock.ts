/** The one clock abstraction lives in src/clock.ts; re-exported here for the kube modules that import it. */
export * from "../clock.js";
