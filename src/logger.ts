import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs (one line per request at info). Asynchronous destination so logging never
 * blocks the event loop on a slow terminal; `flushSync` is called on shutdown.
 */
export function createLogger(level: string, destination: NodeJS.WritableStream | number = 1): Logger {
  const stream = typeof destination === 'number' ? pino.destination({ dest: destination, sync: false, minLength: 4096 }) : destination;
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Provider secrets never reach a log line, whatever a caller passes in.
      redact: { paths: ['authorization', 'headers.authorization', '*.apiKey', 'apiKey', 'req.headers.authorization'], censor: '[redacted]' },
    },
    stream,
  );
}
