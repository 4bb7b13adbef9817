import { pino, type Logger } from 'pino';

export type { Logger };

/** Where createLogger's loggers write, so a hot path can append a line it formatted itself. */
const destinations = new WeakMap<Logger, { write(line: string): unknown }>();

/**
 * Structured JSON logs (one line per request at info). Asynchronous destination so logging never
 * blocks the event loop on a slow terminal; `flushSync` is called on shutdown.
 */
export function createLogger(level: string, destination: NodeJS.WritableStream | number = 1): Logger {
  const stream = typeof destination === 'number' ? pino.destination({ dest: destination, sync: false, minLength: 4096 }) : destination;
  const logger = pino(
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
  destinations.set(logger, stream);
  return logger;
}

/**
 * Appends whole, already formatted lines to a logger's destination (the request log line, see
 * request-log-line.ts), or undefined for a logger createLogger did not make. The line must have
 * pino's shape ({"level":..,"time":..,...,"msg":..}) so every line of the log reads alike.
 */
export function lineWriter(logger: Logger): ((line: string) => void) | undefined {
  const stream = destinations.get(logger);
  return stream === undefined ? undefined : (line) => void stream.write(line);
}
