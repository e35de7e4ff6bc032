import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { SINGLE_PACK_URI } from './cfn';
import { catalog } from '../../rules/catalog';
import { checkTemplates } from '../../scripts/lib/check-template';
import { loadAllRemediationDocuments } from '../../scripts/lib/remediation-docs';
import { buildResources } from '../../scripts/lib/serverless-resources';

const PACK_PATH = join(__dirname, '..', '..', 'conformance-packs', 'hipaa-safeguards.yaml');
const RULES = ['sqs-queue-encrypted', 'sqs-queue-tls-only', 'sns-topic-encrypted', 'sns-topic-tls-only'];

/** The pack's own topic and queues, judged by its own SQS and SNS rules (check-template on the generated stack). */
describe('the pack against its own SQS and SNS rules', function () {
  this.timeout(60_000);

  it('passes them: the notification topic complies, the trigger queues are exempt by tag with their reason', async () => {
    // Arrange: the single-account stack's resources, as a template check-template reads
    const template = buildResources({
      safeguards: catalog,
      documents: loadAllRemediationDocuments(),
      packText: readFileSync(PACK_PATH, 'utf8'),
      packTemplateS3Uri: SINGLE_PACK_URI,
      service: 'hipaa-safeguards',
      stage: 'prod',
    });
    const dir = mkdtempSync(join(tmpdir(), 'own-resources-'));
    try {
      const file = join(dir, 'stack.json');
      writeFileSync(file, JSON.stringify({ AWSTemplateFormatVersion: '2010-09-09', Resources: template.Resources }));
      // Act
      const outcome = await checkTemplates({ paths: [file], rules: RULES, region: 'us-east-1' });
      // Assert
      expect(outcome.failures).to.deep.equal([]);
      const verdicts = outcome.results.map((r) => `${r.logicalId} ${r.rule} ${r.compliance}`).sort();
      expect(verdicts).to.deep.equal(
        [
          'ChangeDeadLetterQueue sqs-queue-encrypted NOT_APPLICABLE',
          'ChangeDeadLetterQueue sqs-queue-tls-only NOT_APPLICABLE',
          'ChangeQueue sqs-queue-encrypted NOT_APPLICABLE',
          'ChangeQueue sqs-queue-tls-only NOT_APPLICABLE',
          'NotificationTopic sns-topic-encrypted COMPLIANT',
          'NotificationTopic sns-topic-tls-only COMPLIANT',
        ].sort(),
      );
      expect(outcome.results.find((r) => r.logicalId === 'ChangeQueue')?.annotation).to.contain('EventBridge cannot send to a queue under the AWS managed key alias/aws/sqs');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
