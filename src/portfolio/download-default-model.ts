import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { UnbundleError, isUnbundleError } from '../errors.ts';
import { discoverLocalModels, type LlamacppModelConfigInput } from './discover-models.ts';
import { readGgufHeader } from './gguf-header.ts';

/**
 * The zero-config start: with no portfolio and no model on disk, fetch one small instruct model so
 * `unbundle serve` answers out of the box. Qwen2.5-0.5B-Instruct (Apache-2.0) at Q4_K_M is ~400 MB,
 * has a chat template, and runs at useful speed on a laptop CPU.
 */
export const defaultModel = {
  uri: 'hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf',
  approximateSize: '400 MB',
} as const;

export interface EnsureLocalModelsOptions {
  env: NodeJS.ProcessEnv;
  stderr: NodeJS.WritableStream;
  /** false: never download; an empty folder then yields no models (commands that only list). Default true. */
  download?: boolean;
  signal?: AbortSignal;
}

/** `UNBUNDLE_MODEL_DIR`, else `./models` under the working directory. */
export function modelDirFrom(env: NodeJS.ProcessEnv, cwd: string): string {
  return path.resolve(cwd, env.UNBUNDLE_MODEL_DIR || 'models');
}

/**
 * Models found in `dir`; when there are none, downloads the default model there first (unless
 * `download` is false). A download that cannot happen is UNBUNDLE_E_MODEL_DOWNLOAD with one
 * paragraph telling the user where to put a model instead.
 */
export async function ensureLocalModels(dir: string, options: EnsureLocalModelsOptions): Promise<LlamacppModelConfigInput[]> {
  const folder = path.resolve(dir);
  const onSkip = (file: string, reason: string) => options.stderr.write(`unbundle: skipping ${file}: ${reason}\n`);
  const found = await discoverLocalModels(folder, { onSkip });
  if (found.length > 0) return found;
  if (options.download === false) return [];
  const source = downloadSource(options.env);
  await mkdir(folder, { recursive: true });
  await downloadModel(source, folder, options);
  const downloaded = await discoverLocalModels(folder, { onSkip });
  if (downloaded.length === 0) {
    throw new UnbundleError('UNBUNDLE_E_MODEL_DOWNLOAD', `The download of ${source.uri} finished but ${folder} still holds no usable model. ${whatToDo(folder)}`);
  }
  return downloaded;
}

interface DownloadSource {
  uri: string;
  /** The saved file's name: the hub's own, not node-llama-cpp's "hf_user_" prefixed one. */
  fileName: string | undefined;
  /** What we probe before committing to the download. */
  probeUrl: string;
  endpoint: string;
  token: string | undefined;
}

/** Resolves the model URI and the hub address; both can be overridden for mirrors and tests. */
function downloadSource(env: NodeJS.ProcessEnv): DownloadSource {
  const uri = env.UNBUNDLE_DEFAULT_MODEL || defaultModel.uri;
  // node-llama-cpp reads HF_ENDPOINT / MODEL_ENDPOINT from process.env; passing the endpoint
  // explicitly makes the injected env (tests, embedding apps) the single source of truth.
  const raw = env.HF_ENDPOINT || env.MODEL_ENDPOINT || 'https://huggingface.co/';
  const endpoint = raw.endsWith('/') ? raw : `${raw}/`;
  const token = env.HF_TOKEN || undefined;
  const hub = /^(?:hf|huggingface):([^/]+)\/([^/:]+)\/(.+\.gguf)$/i.exec(uri);
  if (hub) {
    const [, user, repo, file] = hub;
    return { uri, fileName: path.posix.basename(file!), probeUrl: `${endpoint}${user}/${repo}/resolve/main/${file}`, endpoint, token };
  }
  if (/^https?:\/\//i.test(uri) && URL.canParse(uri)) {
    return { uri, fileName: path.posix.basename(new URL(uri).pathname) || undefined, probeUrl: uri, endpoint, token };
  }
  if (!/^(?:hf|huggingface):[^/]+\/[^/]+/i.test(uri)) {
    throw new UnbundleError(
      'UNBUNDLE_E_CONFIG',
      `UNBUNDLE_DEFAULT_MODEL must be an hf:user/repo/file.gguf or hf:user/repo:QUANT URI, or an https:// URL of a .gguf file; got "${uri}".`,
    );
  }
  // "hf:user/repo:Q4_K_M" needs the hub API to pick a file; probing the hub itself still tells
  // "offline" apart from everything else.
  return { uri, fileName: undefined, probeUrl: endpoint, endpoint, token };
}

const probeTimeoutMs = 20_000;
const stallTimeoutMs = 60_000;

async function downloadModel(source: DownloadSource, folder: string, options: EnsureLocalModelsOptions): Promise<void> {
  const fail = (reason: string, cause?: unknown) =>
    new UnbundleError(
      'UNBUNDLE_E_MODEL_DOWNLOAD',
      `No model found in ${folder}, and the default model (${source.uri}, about ${defaultModel.approximateSize}) could not be downloaded from ${source.endpoint}: ${reason}. ${whatToDo(folder)}`,
      { cause },
    );
  await probe(source, fail);
  const { resolveModelFile } = await import('node-llama-cpp');
  const progress = progressReporter(options.stderr, source.fileName ?? source.uri);
  const stalled = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stalled.signal]) : stalled.signal;
  let lastProgressAt = Date.now();
  let file: string;
  // node-llama-cpp's downloader retries connection errors for minutes before its first byte, and
  // its abort signal only covers the transfer itself, so a watchdog bounds the whole attempt.
  const watchdog = new Promise<never>((_, reject) => {
    const timer = setInterval(() => {
      if (Date.now() - lastProgressAt < stallTimeoutMs) return;
      clearInterval(timer);
      stalled.abort();
      reject(fail(`no data arrived for ${stallTimeoutMs / 1000} s`));
    }, 1000);
    timer.unref();
    signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  });
  const download = resolveModelFile(source.uri, {
    directory: folder,
    ...(source.fileName ? { fileName: source.fileName } : {}),
    cli: false,
    endpoints: { huggingFace: source.endpoint },
    ...(source.token ? { tokens: { huggingFace: source.token } } : {}),
    signal,
    onProgress: (status) => {
      lastProgressAt = Date.now();
      progress(status.downloadedSize, status.totalSize);
    },
  });
  download.catch(() => undefined);
  try {
    file = await Promise.race([download, watchdog]);
  } catch (error) {
    if (isUnbundleError(error)) throw error;
    throw fail((error as Error).message ?? String(error), error);
  } finally {
    stalled.abort();
    progress.finish();
  }
  try {
    await readGgufHeader(file);
  } catch (error) {
    await rm(file, { force: true });
    throw fail(`the downloaded file is not a usable GGUF model (${(error as Error).message}); it was deleted`, error);
  }
  options.stderr.write(`unbundle: saved ${file}\n`);
}

/** One short request first: being offline, a wrong mirror or a missing token fail in seconds. */
async function probe(source: DownloadSource, fail: (reason: string, cause?: unknown) => UnbundleError): Promise<void> {
  let response: Response;
  try {
    response = await fetch(source.probeUrl, {
      headers: { range: 'bytes=0-3', ...(source.token ? { authorization: `Bearer ${source.token}` } : {}) },
      redirect: 'follow',
      signal: AbortSignal.timeout(probeTimeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message ?? (error as Error).message;
    throw fail(`the hub cannot be reached (${detail}); this machine looks offline`, error);
  }
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel();
    throw fail(`the hub refused access (HTTP ${response.status}); set HF_TOKEN to a Hugging Face access token`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw fail(`${source.probeUrl} answered HTTP ${response.status}`);
  }
  if (source.probeUrl === source.endpoint) {
    await response.body?.cancel();
    return;
  }
  const reader = response.body?.getReader();
  const first = reader ? await reader.read() : undefined;
  await reader?.cancel();
  const magic = first?.value ? Buffer.from(first.value).subarray(0, 4).toString('latin1') : '';
  if (magic !== 'GGUF') throw fail(`${source.probeUrl} does not serve a GGUF file (it starts with ${JSON.stringify(magic)})`);
}

/** A redrawn bar on a terminal; a line per 10% where stderr is a log file or pipe. */
function progressReporter(stderr: NodeJS.WritableStream, label: string): ((done: number, total: number) => void) & { finish(): void } {
  const tty = (stderr as NodeJS.WriteStream).isTTY === true;
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  let lastDraw = 0;
  let lastTenth = -1;
  let drewBar = false;
  const report = (done: number, total: number) => {
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const percent = Math.floor(fraction * 100);
    const text = `Downloading ${label}: ${percent}% (${mib(done)} / ${mib(total)} MiB)`;
    if (tty) {
      const now = Date.now();
      if (now - lastDraw < 100 && fraction < 1) return;
      lastDraw = now;
      const width = 30;
      const filled = Math.round(fraction * width);
      stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}`);
      drewBar = true;
    } else if (Math.floor(percent / 10) > lastTenth) {
      lastTenth = Math.floor(percent / 10);
      stderr.write(`${text}\n`);
    }
  };
  return Object.assign(report, {
    finish: () => {
      if (drewBar) stderr.write('\n');
    },
  });
}

function whatToDo(folder: string): string {
  return (
    `To serve a model without downloading, put a .gguf file into ${folder} (the UNBUNDLE_MODEL_DIR folder, default ./models) and start again, ` +
    'or write a portfolio.yaml that lists your models (local GGUF files or OpenAI-compatible servers) and pass it with --config. ' +
    'Behind a mirror or proxy, set HF_ENDPOINT to its address; to fetch a different model, set UNBUNDLE_DEFAULT_MODEL to an hf: URI or https URL of a .gguf file.'
  );
}
