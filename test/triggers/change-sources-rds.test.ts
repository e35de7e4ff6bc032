import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { catalog } from '../../rules/catalog';
import { CHANGE_SOURCES } from '../../rules/triggers/change-sources';

const MODEL = join(__dirname, '..', '..', '..', 'shared', 'reference', 'F-botocore-service-models', 'rds-2014-10-31.service-2.json');

describe('triggers/change-sources: the rds entry', () => {
  const rds = CHANGE_SOURCES.find((s) => s.id === 'rds');

  it('re-evaluates rds-tls-enforced, and only it, after RDS CloudTrail calls', () => {
    expect(rds).to.deep.include({ source: 'aws.rds', eventSource: 'rds.amazonaws.com', resourceTypes: ['AWS::RDS::DBInstance', 'AWS::RDS::DBCluster'], safeguards: ['rds-tls-enforced'] });
    // Each named safeguard exists and judges one of the entry's types.
    for (const name of rds?.safeguards ?? []) {
      const s = catalog.find((x) => x.name === name);
      expect(s?.resource.resourceTypes.some((t) => rds?.resourceTypes.includes(t)), name).to.equal(true);
    }
  });

  it('names only operations of the RDS API (botocore model), including every parameter and option group change and the reboots that apply them', () => {
    const operations = Object.keys((JSON.parse(readFileSync(MODEL, 'utf8')) as { operations: Record<string, unknown> }).operations);
    expect(rds?.eventNames.filter((n) => !operations.includes(n))).to.deep.equal([]);
    expect(rds?.eventNames).to.include.members([
      'ModifyDBParameterGroup',
      'ModifyDBClusterParameterGroup',
      'ResetDBParameterGroup',
      'ResetDBClusterParameterGroup',
      'ModifyOptionGroup',
      'RebootDBInstance',
      'RebootDBCluster',
      'ModifyDBInstance',
      'ModifyDBCluster',
    ]);
    expect(new Set(rds?.eventNames).size).to.equal(rds?.eventNames.length);
  });
});
