import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { catalog } from '../../rules/catalog';
import { EXEMPT_TAG, EXEMPT_UNTIL_TAG, checkExemption } from '../../rules/runtime/exemptions';
import {
  APPROVER_PLACEHOLDER,
  CROSS_SERVICE_TAG_ACTIONS,
  EXEMPTION_SCP_PATH,
  ExemptionScpError,
  MAX_SCP_CHARACTERS,
  TAG_ACTIONS_BY_RESOURCE_TYPE,
  exemptionScp,
  exemptionScpContent,
  exemptionTagActions,
  parseApprovers,
  renderExemptionScp,
} from '../../scripts/lib/exemption-scp';
import { REFERENCE_DIR } from '../helpers/fixtures';

const MODELS = join(REFERENCE_DIR, 'F-botocore-service-models');
/** IAM service prefix -> botocore model (the Resource Groups Tagging API signs as "tagging" but its IAM prefix is "tag"). */
const MODEL_OF: Record<string, string> = {
  elasticache: 'elasticache-2015-02-02.service-2.json',
  kinesis: 'kinesis-2013-12-02.service-2.json',
  firehose: 'firehose-2015-08-04.service-2.json',
  kinesisvideo: 'kinesisvideo-2017-09-30.service-2.json',
  kafka: 'kafka-2018-11-14.service-2.json',
  memorydb: 'memorydb-2021-01-01.service-2.json',
  rds: 'rds-2014-10-31.service-2.json',
  tag: 'resourcegroupstaggingapi-2017-01-26.service-2.json',
  es: 'opensearch-2021-01-01.service-2.json',
  sqs: 'sqs-2012-11-05.service-2.json',
  sns: 'sns-2010-03-31.service-2.json',
};
/** IAM prefixes whose model is not in ../shared/reference: read from the installed botocore (its service name). */
const BOTOCORE_ONLY: Record<string, string> = { aoss: 'opensearchserverless' };
const operationsOf = (prefix: string): string[] => {
  const service = BOTOCORE_ONLY[prefix];
  if (service) {
    const script = `import json, botocore.session; print(json.dumps(list(botocore.session.get_session().get_service_model('${service}').operation_names)))`;
    const run = spawnSync('python3', ['-c', script], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`botocore cannot load ${service}: ${run.stderr}`);
    return JSON.parse(run.stdout) as string[];
  }
  const file = MODEL_OF[prefix];
  if (!file) throw new Error(`No service model is mapped for IAM prefix ${prefix}; add it to MODEL_OF.`);
  return Object.keys((JSON.parse(readFileSync(join(MODELS, file), 'utf8')) as { operations: object }).operations);
};

/** IAM's StringLike: `*` any run of characters, `?` one; case-sensitive. */
const stringLike = (pattern: string, value: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`).test(value);

const APPROVER = 'arn:aws:iam::111111111111:role/ExemptionApprover';

describe('conformance-packs/hipaa-safeguards-exemption-scp.json (scripts/lib/exemption-scp.ts)', () => {
  const committed = readFileSync(EXEMPTION_SCP_PATH, 'utf8');

  it('is exactly what npm run build:pack generates from the catalog (drift check)', () => {
    expect(committed, 'run npm run build:pack and commit the result').to.equal(renderExemptionScp(catalog));
  });

  it('names only actions that exist: each is an operation of its service model', () => {
    const actions = exemptionTagActions(catalog);
    const unknown = actions.filter((a) => {
      const [prefix = '', name = ''] = a.split(':');
      return !operationsOf(prefix).includes(name);
    });
    expect(unknown).to.deep.equal([]);
  });

  it('covers every resource type of the catalog with a create, a tag and an untag action of its own service', () => {
    const actions = exemptionTagActions(catalog);
    for (const type of new Set(catalog.flatMap((s) => s.resource.resourceTypes))) {
      const listed = TAG_ACTIONS_BY_RESOURCE_TYPE[type] ?? [];
      const names = listed.map((a) => a.split(':')[1] ?? '');
      expect(names.some((n) => n.startsWith('Create')), `${type} create`).to.equal(true);
      expect(names.some((n) => /^(AddTags|Tag)/.test(n)), `${type} tag`).to.equal(true);
      expect(names.some((n) => /^(RemoveTags|Untag)/.test(n)), `${type} untag`).to.equal(true);
      expect(actions).to.include.members([...listed]);
    }
    expect(actions).to.include.members([...CROSS_SERVICE_TAG_ACTIONS]);
  });

  it('refuses a catalog with a resource type whose tag actions are not listed, naming the type and the safeguard', () => {
    const newcomer = { name: 'dynamodb-table-encrypted', resource: { resourceTypes: ['AWS::DynamoDB::Table'] } } as unknown as (typeof catalog)[number];
    expect(() => exemptionTagActions([...catalog, newcomer])).to.throw(ExemptionScpError, 'Resource type AWS::DynamoDB::Table of safeguard dynamodb-table-encrypted has no tag actions');
  });

  it('denies a request carrying either exemption tag key, and no other key, unless the principal is an approver', () => {
    const [statement] = exemptionScp(catalog, [APPROVER]).Statement;
    expect(statement?.Effect).to.equal('Deny');
    const keys = statement?.Condition['ForAnyValue:StringLike']?.['aws:TagKeys'] ?? [];
    const governs = (key: string) => keys.some((p) => stringLike(p, key));
    expect([EXEMPT_TAG, EXEMPT_UNTIL_TAG].map(governs)).to.deep.equal([true, true]);
    expect(['team', 'hipaa-safeguards:owner', 'x-hipaa-safeguards:exempt'].map(governs)).to.deep.equal([false, false, false]);
    expect(statement?.Condition.ArnNotLike?.['aws:PrincipalArn']).to.deep.equal([APPROVER]);
    expect(Object.keys(statement?.Condition ?? {})).to.deep.equal(['ForAnyValue:StringLike', 'ArnNotLike']);
  });

  describe('what it denies (evaluated as IAM evaluates one Deny statement)', () => {
    const approvers = [APPROVER, 'arn:aws:iam::*:role/security/ExemptionApprover'];
    const [statement] = exemptionScp(catalog, approvers).Statement;
    /** IAM: the Deny applies when the action is listed and every condition block holds; ForAnyValue of an absent key is false. */
    const denied = (r: { action: string; principal: string; tagKeys?: string[] }) => {
      if (!statement?.Action.includes(r.action)) return false;
      const keys = statement.Condition['ForAnyValue:StringLike']?.['aws:TagKeys'] ?? [];
      const anyExemptKey = (r.tagKeys ?? []).some((k) => keys.some((p) => stringLike(p, k)));
      const notApprover = !(statement.Condition.ArnNotLike?.['aws:PrincipalArn'] ?? []).some((p) => stringLike(p, r.principal));
      return anyExemptKey && notApprover;
    };
    const developer = 'arn:aws:iam::222222222222:role/Developer';
    const cases = [
      { name: 'a developer exempting a cache', r: { action: 'elasticache:AddTagsToResource', principal: developer, tagKeys: [EXEMPT_TAG] }, denied: true },
      { name: 'a developer extending an exemption', r: { action: 'kinesis:AddTagsToStream', principal: developer, tagKeys: ['team', EXEMPT_UNTIL_TAG] }, denied: true },
      { name: 'a developer removing the expiry', r: { action: 'kinesisvideo:UntagResource', principal: developer, tagKeys: [EXEMPT_UNTIL_TAG] }, denied: true },
      { name: 'a developer creating an exempt cache', r: { action: 'elasticache:CreateReplicationGroup', principal: developer, tagKeys: [EXEMPT_TAG] }, denied: true },
      { name: 'a developer tagging through the Tagging API', r: { action: 'tag:TagResources', principal: developer, tagKeys: [EXEMPT_TAG] }, denied: true },
      { name: 'a developer creating a stream without tags', r: { action: 'kinesis:CreateStream', principal: developer }, denied: false },
      { name: 'a developer tagging other keys', r: { action: 'firehose:TagDeliveryStream', principal: developer, tagKeys: ['team', 'cost-center'] }, denied: false },
      { name: 'the named approver', r: { action: 'elasticache:AddTagsToResource', principal: APPROVER, tagKeys: [EXEMPT_TAG] }, denied: false },
      { name: 'the approver role of another account (pattern)', r: { action: 'elasticache:RemoveTagsFromResource', principal: 'arn:aws:iam::333333333333:role/security/ExemptionApprover', tagKeys: [EXEMPT_TAG] }, denied: false },
    ];
    for (const c of cases) {
      it(`${c.denied ? 'denies' : 'allows'} ${c.name}`, () => {
        expect(denied(c.r)).to.equal(c.denied);
      });
    }
  });

  it('leaves no gap through letter case: a key the policy does not match (other case) does not exempt either', () => {
    const keys = exemptionScp(catalog, [APPROVER]).Statement[0]?.Condition['ForAnyValue:StringLike']?.['aws:TagKeys'] ?? [];
    const upper = EXEMPT_TAG.toUpperCase();
    expect(keys.some((p) => stringLike(p, upper))).to.equal(false);
    expect(checkExemption({ id: 'c', tags: { [upper]: 'CHG-1' } } as never, [], new Date()).kind).to.equal('none');
  });

  it(`fits the ${MAX_SCP_CHARACTERS}-character SCP limit, committed (with whitespace) and as sent with 20 approvers`, () => {
    expect(committed.length).to.be.at.most(MAX_SCP_CHARACTERS);
    const twenty = Array.from({ length: 20 }, (_, i) => `arn:aws:iam::${String(100000000000 + i)}:role/security/HipaaExemptionApprover`);
    const content = exemptionScpContent(catalog, twenty);
    expect(content.length).to.be.at.most(MAX_SCP_CHARACTERS);
    expect(JSON.parse(content)).to.deep.equal(exemptionScp(catalog, twenty));
  });

  it('refuses approvers that would push the policy past the limit, naming the flag', () => {
    const many = Array.from({ length: 120 }, (_, i) => `arn:aws:iam::${String(100000000000 + i)}:role/security/HipaaExemptionApprover`);
    expect(() => exemptionScpContent(catalog, many)).to.throw(ExemptionScpError, `Organizations accepts at most ${MAX_SCP_CHARACTERS}. Name fewer --exemption-approvers`);
  });

  it('commits a placeholder approver that no principal can match, so the file fails closed if pasted unchanged', () => {
    expect(committed).to.include(APPROVER_PLACEHOLDER);
    expect(() => parseApprovers([APPROVER_PLACEHOLDER])).to.throw(ExemptionScpError);
  });

  describe('parseApprovers', () => {
    it('accepts role and user ARNs, account and name wildcards, and drops duplicates', () => {
      const ok = [APPROVER, 'arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_ExemptionApprover_*', 'arn:aws-us-gov:iam::222222222222:user/ciso', APPROVER];
      expect(parseApprovers(ok)).to.deep.equal(ok.slice(0, 3));
    });

    const bad = [
      { arn: 'arn:aws:sts::111111111111:assumed-role/ExemptionApprover/alice', says: 'is an STS session ARN' },
      { arn: 'ExemptionApprover', says: 'is not an IAM role or user ARN' },
      { arn: 'arn:aws:iam::11111111111:role/ExemptionApprover', says: 'is not an IAM role or user ARN' },
      { arn: 'arn:aws:iam::111111111111:root', says: 'is not an IAM role or user ARN' },
      { arn: 'arn:aws:iam::*:role/*', says: 'matches every role of the account' },
    ];
    for (const c of bad) {
      it(`refuses ${c.arn}, naming the flag`, () => {
        expect(() => parseApprovers([c.arn])).to.throw(ExemptionScpError, `--exemption-approvers: "${c.arn}" ${c.says}`);
      });
    }

    it('refuses an empty list', () => {
      expect(() => parseApprovers([])).to.throw(ExemptionScpError, '--exemption-approvers names no principal.');
    });
  });
});
