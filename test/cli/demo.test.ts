import { expect } from 'chai';
import { kinesisStreamEncrypted } from '../../rules/kinesis-stream-encrypted';
import { seedKinesis } from '../../scripts/demo';
import { remediateWithSimulator } from '../../scripts/lib/remediate';
import { scan } from '../../scripts/lib/scan';
import { useMoto } from '../helpers/moto';

describe('npm start (demo): scan, remediate through the simulator, scan again', function () {
  this.timeout(120_000);

  it('turns every NON_COMPLIANT stream that is not exempt COMPLIANT, and leaves the exempt one alone', async () => {
    // Arrange
    const { endpoint } = await useMoto();
    await seedKinesis(endpoint, new Date());
    const parameters = { 'kinesis-stream-encrypted': { requireCustomerManagedKey: 'true' } };
    const before = await scan({ safeguards: [kinesisStreamEncrypted], region: 'us-east-1', endpoint, parameters });
    // Act
    const outcomes = await remediateWithSimulator({
      results: before.results,
      endpoint,
      region: 'us-east-1',
      roleArn: 'arn:aws:iam::123456789012:role/HIPAA-Safeguards-Remediation',
      documentParameters: { 'kinesis-stream-encrypted': { KmsKeyId: 'alias/phi-streams' } },
    });
    const after = await scan({ safeguards: [kinesisStreamEncrypted], region: 'us-east-1', endpoint, parameters });
    // Assert
    const verdicts = (r: typeof before) => Object.fromEntries(r.results.map((x) => [x.resourceId, x.compliance]));
    expect(verdicts(before)).to.deep.equal({
      'phi-vitals-raw': 'NON_COMPLIANT',
      'phi-claims': 'NON_COMPLIANT',
      'phi-lab-results': 'COMPLIANT',
      'research-sandbox': 'NOT_APPLICABLE',
      'legacy-hl7-feed': 'NON_COMPLIANT',
    });
    expect(outcomes.map((o) => [o.resourceId, o.status])).to.deep.equal([
      ['phi-vitals-raw', 'Success'],
      ['phi-claims', 'Success'],
      ['legacy-hl7-feed', 'Success'],
    ]);
    expect(verdicts(after)).to.deep.equal({
      'phi-vitals-raw': 'COMPLIANT',
      'phi-claims': 'COMPLIANT',
      'phi-lab-results': 'COMPLIANT',
      'research-sandbox': 'NOT_APPLICABLE',
      'legacy-hl7-feed': 'COMPLIANT',
    });
  });
});
