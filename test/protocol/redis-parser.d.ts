// Minimal types for redis-parser v3 (the reference RESP2 decoder used by the protocol tests).
declare module 'redis-parser' {
  interface ParserOptions {
    returnReply(reply: unknown): void;
    returnError(err: Error): void;
    returnFatalError?(err: Error): void;
    returnBuffers?: boolean;
    stringNumbers?: boolean;
  }
  class Parser {
    constructor(options: ParserOptions);
    execute(buffer: Buffer): void;
    reset(): void;
  }
  export default Parser;
}
