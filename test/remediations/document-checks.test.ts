import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadAllRemediationDocuments, loadRemediationDocument } from '../../scripts/lib/remediation-docs';
import { DocumentInvalidError } from '../../scripts/lib/ssm/errors';
import { operationModel } from '../../scripts/lib/ssm/sdk-operations';
import { AUTOMATION_SCHEMA_PATH, assertDocumentValid, checkDocument, formatProblem, patchAutomationSchema } from '../../scripts/lib/ssm/validate';

const FIXTURES = join(__dirname, '..', 'fixtures', 'ssm');
const fixture = (name: string) => loadRemediationDocument(name, FIXTURES);
const problemsOf = (name: string) => checkDocument(fixture(name)).map(formatProblem);

describe('remediations/document-checks', () => {
  describe('every document in remediations/', () => {
    const documents = loadAllRemediationDocuments();

    it('finds at least the Kinesis document (the loop below is not empty)', () => {
      expect(documents.map((d) => d.name)).to.include('HIPAA-EnableKinesisStreamEncryption');
    });

    for (const doc of documents) {
      it(`${doc.name} passes the schema, SDK, reference and least-privilege checks`, () => {
        expect(checkDocument(doc).map(formatProblem)).to.deep.equal([]);
      });
    }
  });

  describe('baseline fixtures', () => {
    it('finds no problem in the minimal valid document the broken fixtures derive from', () => {
      expect(problemsOf('valid-minimal')).to.deep.equal([]);
    });

    it('accepts onCancel, a python3.11 executeScript and a snake_case Api (the schema patches)', () => {
      expect(problemsOf('valid-relaxed-schema')).to.deep.equal([]);
    });
  });

  describe('broken fixtures fail with the problem that names the step and field', () => {
    // Each fixture differs from valid-minimal by one defect, so every expected problem is listed and nothing else may appear.
    const cases: { fixture: string; problems: RegExp[] }[] = [
      {
        fixture: 'unknown-api',
        problems: [/^unknown-api: step Encrypt, inputs\.Api: @aws-sdk\/client-kinesis has no operation "StartStreamEncription"; did you mean "StartStreamEncryption"\?/],
      },
      {
        fixture: 'unknown-api-member',
        problems: [/^unknown-api-member: step Encrypt, inputs\.Encryption: StartStreamEncryption has no input member "Encryption"; its members are EncryptionType, KeyId, StreamName, StreamARN, StreamId\.$/],
      },
      {
        fixture: 'missing-required-member',
        problems: [/^missing-required-member: step Encrypt, inputs: StartStreamEncryption requires "KeyId", which is missing\.$/],
      },
      {
        fixture: 'unknown-document-parameter',
        problems: [/^unknown-document-parameter: step Encrypt, inputs\.KeyId: "\{\{ KmsKeyId \}\}" names no document parameter \(declared: AutomationAssumeRole, StreamName\)\.$/],
      },
      {
        fixture: 'dangling-output-reference',
        problems: [/^dangling-output-reference: step BranchOnEncryption, inputs\.Choices\[0\]\.Variable: "\{\{ ReadStream\.KeyId \}\}": step ReadStream declares no output "KeyId" \(outputs: EncryptionType\)\.$/],
      },
      {
        fixture: 'output-not-on-every-path',
        problems: [/^output-not-on-every-path: step Verify, inputs\.DesiredValues\[0\]: "\{\{ Encrypt\.Status \}\}": step Encrypt does not run before this step on every path/],
      },
      {
        fixture: 'dangling-next-step',
        problems: [/^dangling-next-step: step Encrypt, nextStep: "VerifyEncryption" is not a step of this document\.$/],
      },
      {
        fixture: 'iam-actions-mismatch',
        problems: [
          /^iam-actions-mismatch: # IAM actions: kinesis:DescribeStream is declared but no step calls it/,
          /^iam-actions-mismatch: step Encrypt, # IAM actions: Step calls kinesis:StartStreamEncryption, which "# IAM actions:" does not declare/,
        ],
      },
      {
        fixture: 'unused-parameter',
        problems: [/^unused-parameter: parameters\.KmsKeyId: Parameter KmsKeyId is declared but never used\.$/],
      },
      {
        fixture: 'parameter-without-pattern',
        problems: [/^parameter-without-pattern: parameters\.StreamName: Parameter StreamName needs an allowedPattern or allowedValues/],
      },
      {
        fixture: 'description-incomplete',
        problems: [
          /^description-incomplete: description: The Markdown description needs a "## Output" section \(STYLE\.md 13\)\.$/,
          /^description-incomplete: description: The "Input parameters" section does not describe StreamName\.$/,
        ],
      },
      {
        fixture: 'assume-role-literal',
        problems: [
          /^assume-role-literal: assumeRole: assumeRole must be "\{\{ AutomationAssumeRole \}\}"; found "arn:aws:iam::123456789012:role\/Remediation"\.$/,
          /^assume-role-literal: parameters\.AutomationAssumeRole: Parameter AutomationAssumeRole is declared but never used\.$/,
        ],
      },
      {
        fixture: 'client-not-installed',
        problems: [/^client-not-installed: step Encrypt, inputs\.Service: Service "snowball" needs the AWS SDK v3 client @aws-sdk\/client-snowball, which is not installed/],
      },
      {
        fixture: 'steps-loop',
        problems: [/^steps-loop: step ReadStream, \(step\): Steps form a loop: ReadStream -> BranchOnEncryption -> Encrypt -> ReadStream\.$/],
      },
      {
        fixture: 'schema-unknown-step-property',
        problems: [/^schema-unknown-step-property: step Verify, \(step\): JSON schema: must NOT have additional properties "onSucess"\.$/],
      },
      {
        fixture: 'schema-old-script-runtime',
        problems: [/^schema-old-script-runtime: step Report, inputs\.Runtime: JSON schema: must match exactly one schema in oneOf: must match pattern "\^\(python3/],
      },
    ];
    for (const c of cases) {
      it(`reports ${c.fixture}`, () => {
        // Act
        const problems = problemsOf(c.fixture);
        // Assert
        expect(problems, problems.join('\n')).to.have.lengthOf(c.problems.length);
        for (const pattern of c.problems) expect(problems.some((p) => pattern.test(p)), `${pattern} in\n${problems.join('\n')}`).to.equal(true);
      });
    }
  });

  describe('assertDocumentValid', () => {
    it('throws DocumentInvalidError carrying every problem of the document', () => {
      let caught: unknown;
      try {
        assertDocumentValid(fixture('iam-actions-mismatch'));
      } catch (e) {
        caught = e;
      }
      expect(caught).to.be.instanceOf(DocumentInvalidError);
      const error = caught as DocumentInvalidError;
      expect(error.problems).to.have.lengthOf(2);
      expect(error.message).to.contain('kinesis:DescribeStream is declared but no step calls it');
      expect(error.message).to.contain('Step calls kinesis:StartStreamEncryption');
    });

    it('returns quietly for a valid document', () => {
      expect(() => assertDocumentValid(loadRemediationDocument('HIPAA-EnableKinesisStreamEncryption'))).to.not.throw();
    });
  });

  describe('SDK operation models', () => {
    it('reads members and required members from the SDK v3 static schema', () => {
      const model = operationModel('kinesis', 'StartStreamEncryption');
      expect([...model.input.members.keys()]).to.have.members(['EncryptionType', 'KeyId', 'StreamName', 'StreamARN', 'StreamId']);
      expect(model.input.required).to.have.members(['EncryptionType', 'KeyId']);
    });

    it('maps boto3 service names to SDK packages (secretsmanager -> client-secrets-manager, config -> client-config-service)', () => {
      expect(operationModel('secretsmanager', 'RotateSecret').input.required).to.deep.equal(['SecretId']);
      expect(operationModel('config', 'put_evaluations').operation).to.equal('PutEvaluations');
    });

    it('rejects a camelCase Api, which is neither the operation name nor a boto3 method', () => {
      expect(() => operationModel('kinesis', 'describeStreamSummary')).to.throw(/has no operation "describeStreamSummary"; did you mean "DescribeStreamSummary"/);
    });
  });

  describe('schema patches', () => {
    const schema = JSON.parse(readFileSync(AUTOMATION_SCHEMA_PATH, 'utf8')) as unknown;

    it('leaves the shared reference schema object untouched', () => {
      const before = JSON.stringify(schema);
      patchAutomationSchema(schema);
      expect(JSON.stringify(schema)).to.equal(before);
    });

    it('applies the waitForAwsResourceProperty rule, which the reference keys on a misspelt action', () => {
      // Arrange: the baseline's last step turned into a wait without DesiredValues
      const doc = fixture('valid-minimal');
      const content = structuredClone(doc.content) as { mainSteps: { action: string; inputs: Record<string, unknown> }[] };
      const verify = content.mainSteps[3];
      if (!verify) throw new Error('valid-minimal has four steps');
      verify.action = 'aws:waitForAwsResourceProperty';
      delete verify.inputs.DesiredValues;
      // Act
      const problems = checkDocument({ ...doc, content }).map(formatProblem);
      // Assert
      expect(problems).to.include("valid-minimal: step Verify, inputs: JSON schema: must have required property 'DesiredValues'.");
    });
  });
});
