import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { CLIENT_SERVICES, DEFAULT_RATE, RATE_LIMITS, rateFor } from '../../rules/runtime/rate-limits';

const ROOT = join(__dirname, '..', '..');

/** Every `<Operation>Command` and `paginate<Operation>` a file imports, per `@aws-sdk/client-*` package. */
function operationsCalledIn(dir: string): { pkg: string; operation: string; file: string }[] {
  const found: { pkg: string; operation: string; file: string }[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([a-z-]+)'/g)) {
      for (const raw of (m[1] ?? '').split(',')) {
        const name = raw.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0] ?? '';
        const op = /^(\w+)Command$/.exec(name)?.[1] ?? /^paginate(\w+)$/.exec(name)?.[1];
        if (op) found.push({ pkg: m[2] ?? '', operation: op, file });
      }
    }
  }
  return found;
}

const PACKAGE_SERVICE: Record<string, string> = {
  kinesis: 'kinesis',
  firehose: 'firehose',
  'kinesis-video': 'kinesisvideo',
  elasticache: 'elasticache',
  kafka: 'kafka',
  rds: 'rds',
  kms: 'kms',
  'config-service': 'config',
  sts: 'sts',
  organizations: 'organizations',
  securityhub: 'securityhub',
  'resource-groups-tagging-api': 'tag',
  opensearch: 'es',
  opensearchserverless: 'aoss',
  memorydb: 'memorydb',
  sqs: 'sqs',
  sns: 'sns',
};

describe('rate limit table', () => {
  it('has one row per operation, each with a positive rate and a source', () => {
    const keys = RATE_LIMITS.map((r) => `${r.service}:${r.operation}`);
    expect(new Set(keys).size).to.equal(keys.length);
    for (const r of RATE_LIMITS) {
      expect(r.perSecond, `${r.service}:${r.operation}`).to.be.greaterThan(0);
      expect(r.source, `${r.service}:${r.operation}`).to.match(/^(https:\/\/|node_modules\/@aws-sdk\/|undocumented: )/);
    }
  });

  it('covers every operation the rules call', () => {
    const called = operationsCalledIn(join(ROOT, 'rules'));
    expect(called.length).to.be.greaterThan(10);
    const missing = called
      .filter(({ pkg, operation }) => !RATE_LIMITS.some((r) => r.service === PACKAGE_SERVICE[pkg] && r.operation === operation))
      .map(({ pkg, operation, file }) => `${pkg} ${operation} (${file.slice(ROOT.length + 1)})`);
    expect(missing).to.deep.equal([]);
  });

  it('holds the documented figures the issue relies on', () => {
    expect(rateFor('kinesis', 'ListTagsForStream')).to.deep.equal({ perSecond: 5, burst: 5, documented: true });
    expect(rateFor('kinesis', 'DescribeStreamSummary')).to.deep.equal({ perSecond: 20, burst: 20, documented: true });
    expect(rateFor('securityhub', 'BatchImportFindings')).to.deep.equal({ perSecond: 10, burst: 30, documented: true });
  });

  it('gives an operation AWS documents no rate for, or one not in the table, the conservative default', () => {
    expect(rateFor('elasticache', 'DescribeReplicationGroups')).to.deep.equal({ perSecond: DEFAULT_RATE.perSecond, burst: 5, documented: false });
    expect(rateFor('kinesis', 'SomeFutureOperation')).to.deep.equal({ perSecond: DEFAULT_RATE.perSecond, burst: 5, documented: false });
  });

  it('maps every service in the table to the SDK client that calls it', () => {
    const services = new Set(Object.values(CLIENT_SERVICES));
    for (const r of RATE_LIMITS) expect(services.has(r.service), r.service).to.equal(true);
  });
});
