export * from "./types.js";
export * from "./actions.js";
export * from "./scope.js";
export * from "./abac.js";
export * from "./evaluate-access.js";
export * from "./condition.js";
export * from "./observe.js";
