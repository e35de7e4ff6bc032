import type { AwsClients } from './clients';
import { ConfigSourceRequiredError } from './errors';
import type { ListContext, Lister, NormalizedResource, UnreadableResource } from './safeguard';

/**
 * Each listing once per run (issue 11): the six ElastiCache rules of a scan judge the same replication groups,
 * clusters and serverless caches, so the first rule to ask lists them and every later rule (or a concurrent one)
 * replays what was listed, in the same order, without a call. Built around the `Lister` interface only: whatever a
 * lister does inside (service API, bulk tags, Config-recorded items), the cache sees the items it yields.
 *
 * A listing that fails (or is skipped: an operation the endpoint lacks) fails the same way for every rule that
 * replays it, after the same items, so each rule still reports the failure of its kind. One instance per run: a
 * later run lists again.
 */
export class ListingCache {
  private readonly listings = new Map<string, Replay<unknown>>();

  /** `context` is what every listing of the run is given (its concurrency), whichever rule asks first. */
  constructor(private readonly context: ListContext = { concurrency: 1 }) {}
  private readonly ids = new WeakMap<object, number>();
  private nextId = 0;
  /** Listings started and listings served from the cache, for logs and tests. */
  readonly counts = { listed: 0, replayed: 0 };

  /**
   * The lister's items for the clients' account and region: listed on the first call, replayed on the next ones.
   * Two listers are the same listing when they are the same object, or when they carry the same `cacheKey`.
   * @example for await (const r of ctx.listings.list(lister, ctx.clients)) { ... }
   */
  list<R extends NormalizedResource>(lister: Lister<R>, clients: AwsClients): AsyncIterable<R | UnreadableResource> {
    const key = `${this.identityOf(lister)}|${scopeOf(clients)}`;
    let replay = this.listings.get(key) as Replay<R | UnreadableResource> | undefined;
    if (replay) this.counts.replayed++;
    else {
      this.counts.listed++;
      const { context } = this;
      replay = new Replay(
        context.requireConfig && !lister.readsConfig
          ? // AWS Config required, and this type is read from the service API only: its listing fails, saying so.
            () => configRequired(lister.resourceType)
          : () => lister.list(clients, context),
      );
      this.listings.set(key, replay as Replay<unknown>);
    }
    return replay.consumer();
  }

  /** Releases listings no consumer finished (a run stopped by its time budget): their pending pages are let go. */
  async close(): Promise<void> {
    await Promise.all([...this.listings.values()].map((r) => r.close()));
    this.listings.clear();
  }

  private identityOf(lister: Lister<NormalizedResource>): string {
    if (lister.cacheKey) return `key:${lister.cacheKey}`;
    let id = this.ids.get(lister);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(lister, id);
    }
    return `object:${id}:${lister.resourceType}`;
  }
}

// eslint-disable-next-line require-yield
async function* configRequired(resourceType: string): AsyncGenerator<never> {
  throw new ConfigSourceRequiredError(resourceType, 'this pack reads it from the service API only (no AWS Config source for this type)');
}

/** Account, region, endpoint and role: two clients that reach the same resources share listings. */
function scopeOf(clients: AwsClients): string {
  const t = clients.target;
  return JSON.stringify([clients.limitKey.accountId, t.region, t.endpoint ?? '', t.roleName ?? '', t.partition ?? '']);
}

/**
 * One source iterator, many readers: items are kept as they arrive, and each reader walks them from the start,
 * asking the source for the next one only when it has read all that is kept. The source is asked once at a time.
 */
class Replay<T> {
  private readonly items: T[] = [];
  private iterator: AsyncIterator<T> | undefined;
  private pending: Promise<void> | undefined;
  private done = false;
  private failure: { error: unknown } | undefined;

  constructor(private readonly open: () => AsyncIterable<T>) {}

  /** A reader of its own: one that stops early (its rule ran out of time) leaves the source to the others. */
  consumer(): AsyncIterable<T> {
    return read(this);
  }

  /** The item at `index`, once listed; `undefined` past the end. Throws what the listing threw. */
  async at(index: number): Promise<{ item: T } | undefined> {
    while (index >= this.items.length) {
      if (this.failure) throw this.failure.error;
      if (this.done) return undefined;
      await this.pull();
    }
    return { item: this.items[index] as T };
  }

  private pull(): Promise<void> {
    this.pending ??= (async () => {
      try {
        this.iterator ??= this.open()[Symbol.asyncIterator]();
        const next = await this.iterator.next();
        if (next.done) this.done = true;
        else this.items.push(next.value);
      } catch (error) {
        this.failure = { error };
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }

  async close(): Promise<void> {
    if (this.done || this.failure || !this.iterator) return;
    await this.pending?.catch(() => undefined);
    this.done = true;
    await Promise.resolve(this.iterator.return?.()).catch(() => undefined);
  }
}

async function* read<T>(replay: Replay<T>): AsyncGenerator<T> {
  for (let i = 0; ; i++) {
    const next = await replay.at(i);
    if (!next) return;
    yield next.item;
  }
}
