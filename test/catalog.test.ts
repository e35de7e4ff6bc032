import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { catalog } from '../rules/catalog';
import type { NodeBasedCache } from '../rules/resources/elasticache';
import type { KeyFacts } from '../rules/runtime/kms';
import { parseParameters } from '../rules/runtime/parameters';
import { Condemnation, type Safeguard } from '../rules/runtime/safeguard';
import { loadRemediationDocument } from '../scripts/lib/remediation-docs';
import { type CallOverride, simulateDocument } from '../scripts/lib/ssm/simulate';
import { clusterView, groupView } from './helpers/elasticache';

const ROOT = join(__dirname, '..');

describe('rules/catalog', () => {
  it('names each safeguard once', () => {
    const names = catalog.map((s) => s.name);
    expect(new Set(names).size).to.equal(names.length);
  });

  for (const s of catalog) {
    describe(s.name, () => {
      it('is rules/<name>.ts, whose handler export is the Lambda entry point', async () => {
        // One id everywhere: the rule file, the Config rule, the Lambda and the test share the name.
        expect(existsSync(join(ROOT, 'rules', `${s.name}.ts`))).to.equal(true);
        const mod = (await import(`../rules/${s.name}.js`)) as { handler?: unknown };
        expect(mod.handler).to.be.a('function');
      });

      it('has its tests in test/rules/<name>.test.ts', () => {
        expect(existsSync(join(ROOT, 'test', 'rules', `${s.name}.test.ts`))).to.equal(true);
      });

      it('cites a HIPAA Security Rule section and links an existing remediation document, if any', () => {
        expect(s.hipaa.length).to.be.above(0);
        for (const h of s.hipaa) expect(h).to.match(/^45 CFR 164\.3\d\d\([a-z]\)/);
        if (s.remediation) expect(existsSync(join(ROOT, 'remediations', `${s.remediation.document}.yaml`))).to.equal(true);
        // A document that re-checks the rule at run time must be told this rule's name.
        const named = s.remediation?.fixed?.ConfigRuleName;
        if (named !== undefined) expect(named).to.equal(s.name);
      });
    });
  }
});

// ---------------------------------------------------------------- destructive remediations (issue 9)

interface DocParameter {
  readonly allowedValues?: readonly unknown[];
}
interface DocStep {
  readonly name: string;
  readonly inputs: Record<string, unknown>;
}
const docShape = (name: string) => loadRemediationDocument(name).content as { parameters: Record<string, DocParameter>; mainSteps: DocStep[] };
/** A document deletes when any of its steps calls a Delete* API. */
const isDestructive = (name: string) => docShape(name).mainSteps.some((s) => typeof s.inputs.Api === 'string' && s.inputs.Api.startsWith('Delete'));

/** The (rule, condemnation) pairs the document's CheckCondemnationFitsRule step lets through. */
function condemnationPairs(name: string): string[] {
  const step = docShape(name).mainSteps.find((s) => s.name === 'CheckCondemnationFitsRule');
  const choices = (step?.inputs.Choices ?? []) as { And?: { Variable: string; StringEquals: string }[] }[];
  return choices.map((c) => {
    const value = (variable: string) => c.And?.find((x) => x.Variable.replace(/\s/g, '') === `{{${variable}}}`)?.StringEquals;
    return `${value('ConfigRuleName')} ${value('Condemnation')}`;
  });
}

describe('rules/catalog: destructive remediations', () => {
  const destructive = catalog.filter((s) => s.remediation && isDestructive(s.remediation.document));
  const documents = [...new Set(destructive.map((s) => s.remediation?.document ?? ''))];

  it('finds the rules that link a destructive document (the checks below are not empty)', () => {
    expect(destructive.map((s) => s.name)).to.have.members(['elasticache-encrypted-at-rest', 'elasticache-engine-hipaa-eligible']);
  });

  for (const s of catalog) {
    const link = s.remediation;
    if (!link) continue;
    it(`${s.name}: links ${link.document} with a condemning fact exactly when the document deletes`, () => {
      if (!isDestructive(link.document)) {
        expect(link.condemns, 'a document that deletes nothing needs no condemning fact').to.equal(undefined);
        return;
      }
      expect(link.condemns, 'a destructive link must name the fact that condemns the data').to.be.a('string');
      expect(link.fixed?.Condemnation).to.equal(link.condemns);
      const params = docShape(link.document).parameters;
      expect(params.Condemnation?.allowedValues).to.include(link.condemns);
      expect(params.ConfigRuleName?.allowedValues).to.include(s.name);
      expect(condemnationPairs(link.document)).to.include(`${s.name} ${link.condemns}`);
    });
  }

  for (const name of documents) {
    it(`${name}: ConfigRuleName allows exactly the rules that link it, and each pair it checks is one the catalog links`, () => {
      const linking = catalog.filter((s) => s.remediation?.document === name);
      const params = docShape(name).parameters;
      expect(params.ConfigRuleName?.allowedValues).to.have.members(linking.map((s) => s.name));
      expect(condemnationPairs(name)).to.have.members(linking.map((s) => `${s.name} ${s.remediation?.condemns}`));
    });

    it(`${name}: Condemnation allows exactly the typed Condemnation values`, () => {
      expect(docShape(name).parameters.Condemnation?.allowedValues).to.have.members(Object.values(Condemnation));
    });
  }

  describe('key-only verdicts never reach a deletion (the real rules and the document, on a simulated account)', () => {
    const NOW = new Date();
    const created = new Date(NOW.getTime() - 3600_000).toISOString();
    const keyArn = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const otherKey = 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000';
    // Encrypted at rest, on a BAA-eligible engine: only the key can be wrong.
    const caches: { label: string; view: NodeBasedCache; key?: KeyFacts }[] = [
      { label: 'group, default key', view: groupView({ id: 'g-default' }) },
      { label: 'group, key unreadable', view: groupView({ id: 'g-unreadable', kmsKeyId: keyArn }), key: { kind: 'unresolved', keyId: keyArn, reason: 'DescribeKey failed: AccessDeniedException' } },
      { label: 'group, AWS managed key', view: groupView({ id: 'g-aws', kmsKeyId: 'alias/aws/elasticache' }), key: { kind: 'awsManagedAlias', keyId: 'alias/aws/elasticache' } },
      { label: 'group, key not allowed', view: groupView({ id: 'g-other', kmsKeyId: keyArn }), key: { kind: 'resolved', keyId: keyArn, arn: keyArn, manager: 'CUSTOMER', state: 'Enabled' } },
      { label: 'valkey cluster, key disabled', view: clusterView({ id: 'c-valkey', engine: 'valkey', atRestEncryptionEnabled: true, kmsKeyId: keyArn }), key: { kind: 'resolved', keyId: keyArn, arn: keyArn, manager: 'CUSTOMER', state: 'Disabled' } },
    ];
    const keyParameters: Record<string, string>[] = [{ requireCustomerManagedKey: 'true' }, { allowedKmsKeyArns: otherKey }];

    /** ElastiCache, Config and SNS as the view shows them; the document's writes are recorded and answered. */
    const account = (view: NodeBasedCache, annotation: string): CallOverride => {
      const member = `${view.id}-001`;
      const cluster = (id: string, group?: string) => ({
        CacheClusterId: id,
        ...(group ? { ReplicationGroupId: group } : {}),
        CacheClusterStatus: 'available',
        CacheClusterCreateTime: created,
        ARN: `arn:aws:elasticache:us-east-1:123456789012:cluster:${id}`,
        Engine: view.engine,
        EngineVersion: view.engineVersion,
        AtRestEncryptionEnabled: view.atRestEncryptionEnabled,
      });
      return ({ api, params }) => {
        switch (api) {
          case 'DescribeReplicationGroups':
            if (view.kind !== 'replicationGroup') throw Object.assign(new Error(`${String(params.ReplicationGroupId)} not found`), { name: 'ReplicationGroupNotFoundFault' });
            return {
              ReplicationGroups: [
                { ReplicationGroupId: view.id, Status: 'available', ARN: view.arn, ReplicationGroupCreateTime: created, MemberClusters: [member], Engine: view.engine, AtRestEncryptionEnabled: view.atRestEncryptionEnabled, ...(view.kmsKeyId ? { KmsKeyId: view.kmsKeyId } : {}) },
              ],
            };
          case 'DescribeCacheClusters':
            return { CacheClusters: [view.kind === 'replicationGroup' ? cluster(member, view.id) : cluster(view.id)] };
          case 'ListTagsForResource':
            return { TagList: [] };
          case 'GetComplianceDetailsByResource':
            return { EvaluationResults: [{ EvaluationResultIdentifier: { EvaluationResultQualifier: { ConfigRuleName: String(params.__rule ?? ''), ResourceType: view.resourceType, ResourceId: view.id } }, ComplianceType: 'NON_COMPLIANT', Annotation: annotation }] };
          case 'Publish':
            return { MessageId: 'message-1' };
          case 'DeleteReplicationGroup':
          case 'DeleteCacheCluster':
            return {};
          case 'DescribeSnapshots':
            return { Snapshots: [{ SnapshotName: String(params.SnapshotName), SnapshotStatus: 'available', ARN: 'arn:aws:elasticache:us-east-1:123456789012:snapshot:s' }] };
          case 'AddTagsToResource':
            return { TagList: [] };
          default:
            throw new Error(`The simulated account does not answer ${api}.`);
        }
      };
    };

    const run = async (s: Safeguard, view: NodeBasedCache, annotation: string) => {
      const link = s.remediation;
      if (!link) throw new Error(`${s.name} links no remediation.`);
      const answer = account(view, annotation);
      return simulateDocument(loadRemediationDocument(link.document), {
        parameters: { AutomationAssumeRole: 'arn:aws:iam::123456789012:role/r', [link.resourceIdParameter]: view.id, ...link.fixed },
        // The verdict is the rule's own: its name goes into the answer the document reads.
        override: (c) => answer({ ...c, params: c.api === 'GetComplianceDetailsByResource' ? { ...c.params, __rule: s.name } : c.params }),
        pollIntervalMs: 1,
        endpoint: 'http://127.0.0.1:9',
      });
    };

    it('can see a deletion: an unencrypted group judged by the at-rest rule is deleted (the harness is not blind)', async () => {
      const s = destructive.find((d) => d.name === 'elasticache-encrypted-at-rest') as Safeguard;
      const view = groupView({ id: 'g-plain', atRestEncryptionEnabled: false });
      const verdict = s.evaluate(view, parseParameters(s.schema, {}), { now: NOW, facts: { key: undefined } });
      expect(verdict.compliance).to.equal('NON_COMPLIANT');
      const result = await run(s, view, verdict.annotation);
      expect(result.calls.filter((c) => c.api.startsWith('Delete')).map((c) => c.api)).to.deep.equal(['DeleteReplicationGroup']);
    });

    it('finds NON_COMPLIANT key-only verdicts to try (the loop below is not vacuous)', () => {
      const s = destructive.find((d) => d.name === 'elasticache-encrypted-at-rest') as Safeguard;
      const verdicts = caches.flatMap((c) => keyParameters.map((p) => s.evaluate(c.view, parseParameters(s.schema, p), { now: NOW, facts: { key: c.key } }).compliance));
      expect(verdicts.filter((v) => v === 'NON_COMPLIANT').length).to.be.at.least(caches.length);
    });

    for (const s of destructive) {
      for (const c of caches) {
        for (const raw of keyParameters) {
          const known = Object.fromEntries(Object.entries(raw).filter(([k]) => Object.hasOwn(s.schema, k)));
          it(`${s.name}, ${c.label}, ${JSON.stringify(known)}: no Delete call, whatever the verdict`, async () => {
            const verdict = s.evaluate(c.view, parseParameters(s.schema, known), { now: NOW, facts: { key: c.key } });
            if (verdict.compliance !== 'NON_COMPLIANT') return; // Config starts no remediation
            const result = await run(s, c.view, verdict.annotation);
            expect(result.calls.filter((x) => x.api.startsWith('Delete'))).to.deep.equal([]);
            expect(result.calls.map((x) => x.api)).to.include('Publish');
          });
        }
      }
    }
  });
});
