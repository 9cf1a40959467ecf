#!/usr/bin/env node
/**
 * The `vl2` executable. libuv fixes its thread pool's size when the pool is first used, and the images
 * the native decoder leaves to sharp (grey, alpha, CMYK, 16-bit, other formats) decode on that pool, one
 * image a thread: Node's default of 4 threads caps them, whatever the cores (JPEG, PNG and WebP in 8-bit
 * RGB decode and tile on the addon's own image pool). So this entry sets UV_THREADPOOL_SIZE to the core count (unless
 * the environment sets it) before anything can touch the pool, then runs the CLI. The bin points at
 * this file's CommonJS build, where modules load through synchronous require(): an ES module entry
 * would start the pool while loading, before any line of it ran. Services that embed the package set
 * UV_THREADPOOL_SIZE in their own environment (README, "Processor: images, tiling, template, grounding").
 */
import { availableParallelism } from 'node:os';

process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, availableParallelism()));
void import('./main.js');
