// The parts of redlock 4's API the scripting client test uses (the package ships no types).
declare module 'redlock' {
  import type { EventEmitter } from 'node:events';

  interface Lock {
    readonly resource: string;
    readonly value: string;
    extend(ttl: number): Promise<Lock>;
    unlock(): Promise<void>;
  }

  interface Options {
    retryCount?: number;
    retryDelay?: number;
    retryJitter?: number;
    driftFactor?: number;
  }

  class Redlock extends EventEmitter {
    constructor(clients: unknown[], options?: Options);
    lock(resource: string | string[], ttl: number): Promise<Lock>;
  }

  export default Redlock;
}
