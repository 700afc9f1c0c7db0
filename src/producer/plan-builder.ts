/** Plan building is shared with the agent workers, which submit generation requests themselves. */
export { PlanBuilder } from '../shared/providers/plan-builder.js';
