import { expect } from 'chai';
import { InvalidParameterError } from '../../rules/runtime/errors';
import { commonParameters, parseParameters } from '../../rules/runtime/parameters';
import { kinesisStreamEncrypted } from '../../rules/kinesis-stream-encrypted';

const schema = kinesisStreamEncrypted.schema;
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function errorOf(fn: () => unknown): InvalidParameterError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InvalidParameterError) return e;
    throw e;
  }
  throw new Error('expected InvalidParameterError');
}

describe('runtime/parameters', () => {
  it('fills every default when Config sends no parameters', () => {
    // Act
    const p = parseParameters(schema, undefined);
    // Assert
    expect(p).to.deep.equal({ requireCustomerManagedKey: false, allowedKmsKeyArns: [], exemptResourceIds: [], importSecurityHubFindings: false, executionRoleName: '' });
  });

  it('reads the strings Config sends: "true" is a boolean and a CSV is a list', () => {
    const p = parseParameters(schema, {
      requireCustomerManagedKey: 'TRUE',
      allowedKmsKeyArns: ` ${KEY} ,,${KEY}`,
      exemptResourceIds: 'a, b',
      executionRoleName: 'HIPAA-Safeguards-Evaluation',
    });
    expect(p.requireCustomerManagedKey).to.equal(true);
    expect(p.allowedKmsKeyArns).to.deep.equal([KEY]);
    expect(p.exemptResourceIds).to.deep.equal(['a', 'b']);
    expect(p.executionRoleName).to.equal('HIPAA-Safeguards-Evaluation');
  });

  it('treats an empty value as the default (conformance packs cannot omit a parameter)', () => {
    expect(parseParameters(schema, { requireCustomerManagedKey: '  ' }).requireCustomerManagedKey).to.equal(false);
  });

  const bad: { name: string; raw: Record<string, unknown>; message: string }[] = [
    { name: 'requireCustomerManagedKey', raw: { requireCustomerManagedKey: 'yes' }, message: 'Rule parameter requireCustomerManagedKey is "yes". Expected "true" or "false".' },
    { name: 'allowedKmsKeyArns', raw: { allowedKmsKeyArns: 'alias/phi' }, message: 'Rule parameter allowedKmsKeyArns contains "alias/phi". Expected a comma-separated list of values matching' },
    { name: 'executionRoleName', raw: { executionRoleName: 'role/with/slash' }, message: 'Rule parameter executionRoleName is "role/with/slash". Expected a string matching' },
    { name: 'requireCustomerManagedkey', raw: { requireCustomerManagedkey: 'true' }, message: 'Unknown rule parameter "requireCustomerManagedkey". Expected one of: requireCustomerManagedKey, allowedKmsKeyArns, exemptResourceIds, importSecurityHubFindings, executionRoleName.' },
  ];
  for (const c of bad) {
    it(`rejects ${JSON.stringify(c.raw)} with an error naming ${c.name}`, () => {
      const e = errorOf(() => parseParameters(schema, c.raw));
      expect(e.parameter).to.equal(c.name);
      expect(e.message).to.contain(c.message);
    });
  }

  it('rejects a non-object', () => {
    expect(errorOf(() => parseParameters(schema, ['x'])).parameter).to.equal('ruleParameters');
  });

  it('bounds integers', () => {
    const s = { hours: { type: 'integer', default: 24, min: 1, max: 48, description: 'h' } } as const;
    expect(parseParameters(s, { hours: '12' }).hours).to.equal(12);
    expect(errorOf(() => parseParameters(s, { hours: '49' })).message).to.equal('Rule parameter hours is "49". Expected an integer from 1 to 48.');
    expect(errorOf(() => parseParameters(s, { hours: '1.5' })).parameter).to.equal('hours');
  });

  it('gives every safeguard the common parameters', () => {
    for (const name of Object.keys(commonParameters)) expect(schema).to.have.property(name);
  });
});
