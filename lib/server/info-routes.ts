/**
 * The routes around generation: GET /v1/models (the one model, by the name clients send),
 * GET /health (200 only while the model is loaded and the server is not closing: what a load
 * balancer or orchestrator should route by) and GET /metrics (Prometheus text).
 */
import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors.js';
import type { ServerState } from './state.js';

export function registerInfoRoutes(app: FastifyInstance, state: ServerState): void {
  const created = Math.floor(Date.now() / 1000);
  const modelObject = { id: state.options.modelName, object: 'model', created, owned_by: 'deepseek-vl2' };
  app.get('/v1/models', async () => ({ object: 'list', data: [modelObject] }));
  app.get<{ Params: { id: string } }>('/v1/models/:id', async (request) => {
    if (request.params.id !== state.options.modelName)
      throw new HttpError(
        404,
        `the model '${request.params.id}' does not exist`,
        'invalid_request_error',
        'model',
        'model_not_found',
      );
    return modelObject;
  });
  app.get('/health', async (_request, reply) => {
    const status = state.closing
      ? 'shutting_down'
      : state.loadError
        ? 'failed'
        : state.model
          ? 'ok'
          : 'loading';
    reply.code(status === 'ok' ? 200 : 503);
    return {
      status,
      model: state.options.modelName,
      ...(state.model ? { backend: state.model.device } : {}),
    };
  });
  app.get('/metrics', async (_request, reply) => {
    reply.type(state.metrics.registry.contentType);
    return state.metrics.registry.metrics();
  });
}
