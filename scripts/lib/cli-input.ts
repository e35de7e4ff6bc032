/**
 * The CLI's checks of what the user typed or pointed at, made before any AWS call so that a typo never costs a
 * whole scan. Nothing here loads an AWS SDK client at import time: `safeguards --help` must stay fast.
 */
import { closeSync, ftruncateSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The user's input is wrong; the message says what was expected. Exit code 2, nothing scanned. */
export class UsageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}

const errnoOf = (e: unknown) => (e as NodeJS.ErrnoException).code;

function readUserFile(path: string, what: string, expected: string): string {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') throw new UsageError(`${what} ${path} does not exist. Expected ${expected}.`, { cause: e });
    throw new UsageError(`Cannot read ${what.toLowerCase()} ${path}: ${(e as Error).message}. Expected ${expected}.`, { cause: e });
  }
  if (isDirectory) throw new UsageError(`${what} ${path} is a directory. Expected ${expected}.`);
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`Cannot read ${what.toLowerCase()} ${path}: ${(e as Error).message}. Expected ${expected}.`, { cause: e });
  }
}

/**
 * Rule names from `--rules` and `--rules-file`, or `all` when neither is given. Either one naming no rule (`--rules ,`,
 * an empty or comment-only file) is an error: silently running every rule is not what the user asked for.
 */
export function selectRuleNames(rules: string | undefined, rulesFile: string | undefined): readonly string[] | 'all' {
  const split = (text: string) => text.split(/[\s,]+/).map((n) => n.trim()).filter((n) => n !== '');
  const names: string[] = [];
  if (rules !== undefined) {
    const given = split(rules);
    if (given.length === 0) {
      throw new UsageError(`--rules "${rules}" names no rule. Expected comma-separated rule names (see "safeguards list"), or no --rules to run every rule.`);
    }
    names.push(...given);
  }
  if (rulesFile !== undefined) {
    const expected = 'rule names, one per line or comma-separated, # starts a comment';
    // A rules file holds names one per line or comma-separated; `#` starts a comment.
    const text = readUserFile(rulesFile, 'Rules file', expected);
    const given = text.split('\n').flatMap((l) => split(l.split('#')[0] ?? ''));
    if (given.length === 0) throw new UsageError(`Rules file ${rulesFile} names no rule. Expected ${expected}.`);
    names.push(...given);
  }
  return rules === undefined && rulesFile === undefined ? 'all' : [...new Set(names)];
}

/** A Config rule event read from a file: a JSON object, or an error that names the file. */
export function readEventFile(path: string, expected = 'a Config rule event (a JSON object with invokingEvent, ruleParameters and resultToken)'): Record<string, unknown> {
  const text = readUserFile(path, 'Event file', expected);
  if (text.trim() === '') throw new UsageError(`Event file ${path} is empty. Expected ${expected}.`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`Event file ${path} is not JSON (${(e as Error).message}). Expected ${expected}.`, { cause: e });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new UsageError(`Event file ${path} holds ${got}, not a JSON object. Expected ${expected}.`);
  }
  return value as Record<string, unknown>;
}

/** `--endpoint-url`: an absolute http(s) URL, checked before any call. */
export function validateEndpoint(url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.hostname === '') {
    throw new UsageError(`--endpoint-url "${url}" is not an http(s) URL. Expected a URL such as http://127.0.0.1:5000 or https://config.us-east-1.amazonaws.com.`);
  }
  return url;
}

/** Region names as AWS writes them: us-east-1, us-gov-west-1, cn-north-1, eu-central-2, us-isob-east-1. */
const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

export function validateRegion(region: string, source: string): string {
  if (!REGION_NAME.test(region)) throw new UsageError(`Region "${region}" (from ${source}) is not a region name. Expected a name such as us-east-1.`);
  return region;
}

/**
 * The region, in the AWS CLI's order: `--region`, then AWS_REGION / AWS_DEFAULT_REGION, then the `region` of the
 * profile (`--profile`, else AWS_PROFILE, else default) in the shared config file. The profile is read by the SDK's
 * own shared-config loader (a client's `profile` setting), so it reads exactly as every SDK client would.
 */
export async function resolveRegion(options: { region?: string; profile?: string }): Promise<string> {
  if (options.region !== undefined) return validateRegion(options.region, '--region');
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION'] as const) {
    const value = process.env[name];
    if (value) return validateRegion(value, name);
  }
  const profile = options.profile ?? process.env.AWS_PROFILE ?? 'default';
  const configFile = process.env.AWS_CONFIG_FILE ?? join(homedir(), '.aws', 'config');
  const { STSClient } = await import('@aws-sdk/client-sts');
  let region: string | undefined;
  try {
    region = await new STSClient({ profile }).config.region();
  } catch {
    region = undefined;
  }
  if (!region) {
    throw new UsageError(`No region: pass --region, set AWS_REGION, or set region in profile "${profile}" of ${configFile}.`);
  }
  return validateRegion(region, `profile "${profile}" of ${configFile}`);
}

/**
 * The `--output` file, opened before the scan so an unwritable path fails in a second, not after the whole scan.
 * An existing file keeps its content until the results replace it; a file created here is removed if the run
 * ends without results.
 */
export class OutputFile {
  private constructor(
    readonly path: string,
    private fd: number | undefined,
    private readonly created: boolean,
  ) {}

  static open(path: string): OutputFile {
    let exists = false;
    try {
      const stat = statSync(path);
      if (stat.isDirectory()) throw new UsageError(`--output ${path} is a directory. Expected a file path. Nothing was scanned.`);
      exists = true;
    } catch (e) {
      if (e instanceof UsageError) throw e;
      if (errnoOf(e) !== 'ENOENT') throw new UsageError(`Cannot write --output ${path}: ${(e as Error).message}. Nothing was scanned.`, { cause: e });
    }
    try {
      return new OutputFile(path, openSync(path, exists ? 'r+' : 'wx'), !exists);
    } catch (e) {
      throw new UsageError(`Cannot write --output ${path}: ${(e as Error).message}. Nothing was scanned.`, { cause: e });
    }
  }

  /** Replaces the file's content with `text`. */
  write(text: string): void {
    const fd = this.take();
    try {
      ftruncateSync(fd, 0);
      writeFileSync(fd, text);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Writes the results to the file, or to stdout when there is no file. When the file cannot be written after all,
   * the results still reach stdout (computed verdicts are never lost) and the error goes to stderr: returns false.
   */
  static deliver(output: OutputFile | undefined, text: string, io: { out(text: string): void; err(text: string): void }): boolean {
    if (!output) {
      io.out(text);
      return true;
    }
    try {
      output.write(text);
      return true;
    } catch (e) {
      io.out(text);
      io.err(`Error: cannot write --output ${output.path} (${(e as Error).message}); the results are on stdout instead.\n`);
      return false;
    }
  }

  /** The run produced nothing to write: close, and remove the file if this run created it. */
  abandon(): void {
    if (this.fd === undefined) return;
    closeSync(this.take());
    if (this.created) {
      try {
        unlinkSync(this.path);
      } catch {
        // already gone: nothing to clean up
      }
    }
  }

  private take(): number {
    if (this.fd === undefined) throw new Error(`--output ${this.path} was already written or abandoned.`);
    const fd = this.fd;
    this.fd = undefined;
    return fd;
  }
}
