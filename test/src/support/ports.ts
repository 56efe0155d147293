import { once } from 'node:events';
import { createServer } from 'node:net';

/** A loopback port that nothing listens on now (the OS picks it; free until someone binds it). */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const STACK_LISTENERS = ['gateway', 'preprocess', 'vision', 'llm', 'http'] as const;
type StackListener = (typeof STACK_LISTENERS)[number];

/**
 * A free port for each listener of the whole stack (`internvl serve all`, `npm start`), and the
 * `--<listener>-port` flags that choose them.
 */
export async function freeStackPorts(): Promise<{ ports: Record<StackListener, number>; flags: string[] }> {
  const free = await Promise.all(STACK_LISTENERS.map(() => freePort()));
  const ports = Object.fromEntries(STACK_LISTENERS.map((name, i) => [name, free[i]!])) as Record<
    StackListener,
    number
  >;
  return { ports, flags: STACK_LISTENERS.flatMap((name) => [`--${name}-port`, String(ports[name])]) };
}
