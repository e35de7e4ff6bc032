import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the plugin is CommonJS, loaded as the framework loads it
const { recompress } = require('../../scripts/serverless-recompress.js') as { recompress: (path: string) => Promise<number> };

/** The part of archiver (untyped) the test uses. */
interface ZipWriter {
  pipe(stream: NodeJS.WritableStream): void;
  on(event: 'error', listener: (error: Error) => void): void;
  append(data: Buffer, options: { name: string; mode: number; date: Date }): void;
  finalize(): Promise<void>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped CommonJS package
const archiver = require('archiver') as { create(format: 'zip'): ZipWriter };

/** A zip as serverless-esbuild writes it: archiver's default level, a fixed date. */
async function defaultZip(path: string, entries: { name: string; mode: number; data: Buffer }[]): Promise<void> {
  await new Promise<void>((done, fail) => {
    const output = createWriteStream(path);
    const zip = archiver.create('zip');
    output.on('close', () => done());
    zip.on('error', fail);
    zip.pipe(output);
    for (const e of entries) zip.append(e.data, { name: e.name, mode: e.mode, date: new Date(0) });
    void zip.finalize();
  });
}

describe('scripts/serverless-recompress.js', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'hipaa-zip-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('re-compresses a function zip smaller, every entry byte for byte with its mode, the same bytes every time', async () => {
    // Arrange: a bundle-like file (minified code repeats itself) and a second, executable entry.
    const code = Buffer.from(Array.from({ length: 4000 }, (_, i) => `var a${i % 97}=require("./m${i % 13}");function f${i}(x){return a${i % 97}.call(x,${i})}`).join(';'));
    const entries = [
      { name: 'rules/kinesis-stream-encrypted.js', mode: 0o644, data: code },
      { name: 'bin/run', mode: 0o755, data: Buffer.from('#!/bin/sh\necho ok\n') },
    ];
    const first = join(dir, 'a.zip');
    const second = join(dir, 'b.zip');
    await defaultZip(first, entries);
    await defaultZip(second, entries);
    const before = statSync(first).size;

    // Act
    expect(await recompress(first)).to.equal(2);
    await recompress(second);

    // Assert
    expect(statSync(first).size).to.be.lessThan(before);
    expect(readFileSync(first).equals(readFileSync(second)), 'deterministic').to.equal(true);
    const out = join(dir, 'out');
    expect(spawnSync('unzip', ['-q', first, '-d', out]).status).to.equal(0);
    expect(readFileSync(join(out, 'rules', 'kinesis-stream-encrypted.js')).equals(code)).to.equal(true);
    expect(statSync(join(out, 'bin', 'run')).mode & 0o777).to.equal(0o755);
  });

  it('fails naming the file when the artifact is not a zip', async () => {
    const bad = join(dir, 'bad.zip');
    writeFileSync(bad, 'not a zip');
    let error: Error | undefined;
    try {
      await recompress(bad);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.include(`Cannot open ${bad}`);
  });
});
