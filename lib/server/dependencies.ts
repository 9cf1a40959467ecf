/**
 * fastify and prom-client, loaded on the first createServer rather than when the package is imported:
 * most programs that import deepseek-vl2 never serve, and the two add about 100 ms to every import
 * (and to every `vl2` command). Both are CommonJS, so a require from the package root loads them in
 * either module system.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type fastifyFactory from 'fastify';
import { packageRoot } from '../engine/addon.js';

let load: NodeJS.Require | undefined;
const requireFromPackage = (name: string): unknown => {
  load ??= createRequire(join(packageRoot(), 'package.json'));
  return load(name);
};

export const loadFastify = () => requireFromPackage('fastify') as typeof fastifyFactory;
export const loadPromClient = () => requireFromPackage('prom-client') as typeof import('prom-client');
