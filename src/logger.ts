import { pino, type Logger } from 'pino';

export type { Logger };

/** Where createLogger's loggers write, so a hot path can append a line it formatted itself. */
const destinations = new WeakMap<Logger, { write(line: string): unknown }>();

/**
 * Structured JSON logs (one line per request at info). Asynchronous destination so logging never
 * blocks the event loop on a slow terminal; `flushSync` is called on shutdown.
 */
export function createLogger(level: string, destination: NodeJS.WritableStream | number = 1): Logger {
  if (typeof destination !== 'number') {
    const logger = makeLogger(level, destination, () => {});
    destinations.set(logger, destination);
    return logger;
  }
  const boom = pino.destination({ dest: destination, sync: false, minLength: 4096 });
  // Lines are written in 4 KB batches, which alone would hold a quiet server's last lines back
  // until more traffic came: a timer flushes within 250 ms of the last line (two ticks, in case
  // the first finds a write in progress). Unref'd, so it never keeps the process alive.
  let dirtyTicks = 0;
  const written = () => (dirtyTicks = 2);
  setInterval(() => {
    if (dirtyTicks === 0) return;
    dirtyTicks--;
    try {
      boom.flush();
    } catch {
      dirtyTicks = 0; // destroyed: the process is on its way out
    }
  }, 250).unref();
  // Hand-formatted lines (the request line) are collected for the rest of the event loop's turn
  // and handed over as one string: per line, the destination's own append (a string concat and a
  // byteLength) allocated ~2 KB per request on the proxy path. pino's own lines flush the batch
  // first (streamWrite hook), so the order of the log is kept; so does logger.flush().
  let batch: string[] = [];
  let scheduled = false;
  const flushBatch = () => {
    scheduled = false;
    if (batch.length === 0) return;
    const text = batch.length === 1 ? batch[0]! : batch.join('');
    batch = [];
    written();
    boom.write(text);
  };
  const logger = makeLogger(level, boom, () => {
    flushBatch();
    written();
  });
  const flush = logger.flush.bind(logger);
  logger.flush = (callback?: (error?: Error) => void) => {
    flushBatch();
    flush(callback);
  };
  destinations.set(logger, {
    write: (line: string) => {
      batch.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flushBatch);
      }
    },
  });
  return logger;
}

function makeLogger(level: string, stream: NodeJS.WritableStream | pino.DestinationStream, written: () => void): Logger {
  return pino(
    {
      level,
      hooks: {
        streamWrite: (line) => {
          written();
          return line;
        },
      },
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Provider secrets never reach a log line, whatever a caller passes in.
      redact: { paths: ['authorization', 'headers.authorization', '*.apiKey', 'apiKey', 'req.headers.authorization'], censor: '[redacted]' },
    },
    stream,
  );
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
