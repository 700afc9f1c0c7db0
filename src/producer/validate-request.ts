/** Request validation is shared with the agent workers, which submit generation requests themselves. */
export { type GenerationRequest, validateRequest } from '../shared/validate-request.js';
