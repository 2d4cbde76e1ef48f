// One slabcache server for the whole test run, in the test runner's own process: no Docker,
// no redis-server binary, no mock. Each test file reads its URL with inject('redisUrl').
import type { TestProject } from 'vitest/node';
import { startServer } from 'slabcache';

export default async function setup(project: TestProject) {
  const server = await startServer();
  project.provide('redisUrl', server.url);
  return () => server.close();
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
