/**
 * The web demo: a chat page at GET / that talks to this server's own /v1/chat/completions, its
 * files under GET /ui/*, and GET /ui/config.json (the model's name and whether an API key is
 * needed, which the page asks for). Like /health, these stay open when an API key is set: they hold
 * nothing secret, and the page sends the key the person types with each API call.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { HttpError } from '../errors.js';
import { loadUiFiles, type StaticFile } from './files.js';

/**
 * Nothing from elsewhere: scripts, styles and fetches from this origin only; images from here or the
 * data:/blob: URLs of the person's own uploads; no plugins, frames, forms posting away or <base>.
 */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const securityHeaders = {
  'content-security-policy': contentSecurityPolicy,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export interface UiConfig {
  model: string;
  apiKeyRequired: boolean;
}

function send(reply: FastifyReply, file: StaticFile) {
  return reply
    .headers({ ...securityHeaders, 'content-type': file.contentType, 'cache-control': 'no-cache' })
    .send(file.body);
}

export function registerWebDemo(app: FastifyInstance, config: UiConfig): void {
  const files = loadUiFiles();
  const page = files.get('web/index.html') as StaticFile;
  app.get('/', (_request, reply) => send(reply, page));
  app.get('/ui/config.json', (_request, reply) => reply.headers(securityHeaders).send(config));
  app.get<{ Params: { '*': string } }>('/ui/*', (request, reply) => {
    const file = files.get(request.params['*']);
    if (!file)
      throw new HttpError(
        404,
        `no file /ui/${request.params['*']}`,
        'invalid_request_error',
        null,
        'not_found',
      );
    return send(reply, file);
  });
}
