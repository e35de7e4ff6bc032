/**
 * Reads listed resources one by one (describe, tags) with up to `concurrency` reads in flight, and yields what they
 * return in listing order, so a lister that needs a call per resource is as fast as its rate limits allow while its
 * output stays deterministic. A read that resolves `undefined` (the resource was deleted meanwhile) yields nothing;
 * a read that throws ends the listing at its place, as a serial loop would, after every item before it.
 * @example yield* readEach(names(), (name) => describe(kinesis, name), context?.concurrency ?? 1);
 */
export async function* readEach<T, R>(
  refs: Iterable<T> | AsyncIterable<T>,
  read: (ref: T) => Promise<R | undefined>,
  concurrency: number,
): AsyncGenerator<R> {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}.`);
  const iterator: AsyncIterator<T> | Iterator<T> =
    Symbol.asyncIterator in Object(refs) ? (refs as AsyncIterable<T>)[Symbol.asyncIterator]() : (refs as Iterable<T>)[Symbol.iterator]();
  type Settled = { readonly ok: true; readonly value: R | undefined } | { readonly ok: false; readonly error: unknown };
  const queue: Promise<Settled>[] = [];
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && queue.length < concurrency) {
        const next = await iterator.next();
        if (next.done) exhausted = true;
        else queue.push(read(next.value).then((value): Settled => ({ ok: true, value }), (error: unknown): Settled => ({ ok: false, error })));
      }
      const head = queue.shift();
      if (!head) return;
      const settled = await head;
      if (!settled.ok) throw settled.error;
      if (settled.value !== undefined) yield settled.value;
    }
  } finally {
    // Stopped early (a failed read, a consumer that left): release the source's pending page.
    if (!exhausted) await Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}
