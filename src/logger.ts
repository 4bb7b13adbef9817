import { fstatSync } from 'node:fs';
import { pino, type Logger } from 'pino';

export type { Logger };

/** Where createLogger's loggers write, so a hot path can append a line it formatted itself. */
const destinations = new WeakMap<Logger, { write(line: string): unknown }>();

/** Lines still in a batch when the process exits (a second Ctrl-C, process.exit) are written synchronously. */
const atExit = new Set<() => void>();
process.once('exit', () => {
  for (const flush of atExit) flush();
});

/**
 * Structured JSON logs (one line per request at info). A regular file is appended to synchronously
 * (one write per event-loop turn: an append to the page cache costs less than handing each write to
 * libuv's thread pool and back: ~5 % less CPU per proxied request in side-by-side runs);
 * a terminal, pipe or socket (journald) gets an asynchronous destination so logging never blocks the
 * event loop on a slow reader. What is still buffered is written synchronously at exit.
 */
export function createLogger(level: string, destination: NodeJS.WritableStream | number = 1): Logger {
  if (typeof destination !== 'number') {
    const logger = makeLogger(level, destination, () => {});
    destinations.set(logger, destination);
    return logger;
  }
  // Asynchronous (not to a file), write-behind: a write starts at once when none is in flight, and
  // what arrives meanwhile goes out with the next one, so lines batch under load and never wait on
  // a quiet server.
  // UNBUNDLE_LOG_SYNC=0 keeps even a file asynchronous (a log file on a network filesystem, where
  // a synchronous append could stall the event loop).
  const sync = process.env.UNBUNDLE_LOG_SYNC !== '0' && isRegularFile(destination);
  const boom = pino.destination({ dest: destination, sync });
  // Hand-formatted lines (the request line) are collected for the rest of the event loop's turn
  // and handed over as one string: per line, the destination's own append (a string concat and a
  // byteLength) allocated ~2 KB per request on the proxy path. pino's own lines flush the batch
  // first (streamWrite hook), so the order of the log is kept; so do logger.flush() and exit.
  let batch: string[] = [];
  let scheduled = false;
  const flushBatch = () => {
    scheduled = false;
    if (batch.length === 0) return;
    const text = batch.length === 1 ? batch[0]! : batch.join('');
    batch = [];
    boom.write(text);
  };
  atExit.add(() => {
    flushBatch();
    try {
      boom.flushSync();
    } catch {
      // already closed, or nothing to write
    }
  });
  const logger = makeLogger(level, boom, flushBatch);
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

function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

function makeLogger(level: string, stream: NodeJS.WritableStream | pino.DestinationStream, beforeLine: () => void): Logger {
  return pino(
    {
      level,
      hooks: {
        streamWrite: (line) => {
          beforeLine();
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
