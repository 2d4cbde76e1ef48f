import { startChildServer } from './child.ts';
const c = await startChildServer();
await new Promise((r) => setTimeout(r, 1500));
console.log('idle RSS MiB', (c.sampleRss() / 1048576).toFixed(1));
await c.stop();
