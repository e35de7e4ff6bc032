import { join } from 'node:path';
import { CreateStreamCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { loadRemediationDocument } from '../../scripts/lib/remediation-docs';
import { SimulationError } from '../../scripts/lib/ssm/errors';
import { definesHandler, scriptApiCalls } from '../../scripts/lib/ssm/script';
import { simulateDocument } from '../../scripts/lib/ssm/simulate';
import { checkDocument, formatProblem } from '../../scripts/lib/ssm/validate';
import { useMoto } from '../helpers/moto';

// The fixture's script runs for real under python3; its boto3 calls come back to the simulator and go to moto
// (or to the override hook), exactly like a declarative step's calls.
const doc = loadRemediationDocument('simulator-execute-script', join(__dirname, '..', 'fixtures', 'ssm'));
const ROLE = 'arn:aws:iam::123456789012:role/r';

describe('scripts/lib/ssm/simulate: aws:executeScript', () => {
  let kinesis: KinesisClient;

  beforeEach(async () => {
    const moto = await useMoto();
    kinesis = new KinesisClient({ region: 'us-east-1', endpoint: moto.endpoint, requestHandler: new NodeHttpHandler() });
    await kinesis.send(new CreateStreamCommand({ StreamName: 'vitals', ShardCount: 2 }));
  });

  const run = (Mode: string, override?: Parameters<typeof simulateDocument>[1]['override']) =>
    simulateDocument(doc, { parameters: { AutomationAssumeRole: ROLE, StreamName: 'vitals', Mode }, ...(override ? { override } : {}) });

  it('passes the document checks, counting the script calls and the CreateSecret Tags companion in the IAM list', () => {
    expect(checkDocument(doc).map(formatProblem)).to.deep.equal([]);
  });

  it('requires the companion actions AWS documents: CreateSecret with Tags needs secretsmanager:TagResource', () => {
    const withoutTagResource = { ...doc, iamActions: doc.iamActions.filter((a) => a !== 'secretsmanager:TagResource') };
    expect(checkDocument(withoutTagResource).map(formatProblem)).to.deep.equal([
      'simulator-execute-script: step ReadWithScript, # IAM actions: Step needs secretsmanager:TagResource (CreateSecret with Tags needs it, per the CreateSecret API reference), which "# IAM actions:" does not declare; the remediation role would be denied.',
    ]);
  });

  it('runs the handler with InputPayload and context, returns Payload outputs and records its calls and log', async () => {
    // Act
    const result = await run('read');
    // Assert
    expect(result.status).to.equal('Success');
    expect(result.outputs).to.deep.equal({ 'ReadWithScript.EncryptionType': 'NONE', 'ReadWithScript.Shards': 2 });
    expect(result.calls).to.have.lengthOf(1);
    expect(result.calls[0]).to.deep.include({ step: 'ReadWithScript', service: 'kinesis', api: 'DescribeStreamSummary', answeredBy: 'endpoint', fromScript: true });
    const step = result.steps[0];
    expect(step?.inputs).to.deep.include({ Runtime: 'python3.11', InputPayload: { StreamName: 'vitals', Mode: 'read' } });
    expect(step?.log).to.match(/^reading vitals in execution [0-9a-f-]{36}\n$/);
  });

  it('fails the step with the exception type and message, keeping what the script printed', async () => {
    const result = await run('raise');
    expect(result.status).to.equal('Failed');
    expect(result.failure).to.deep.equal({ step: 'ReadWithScript', message: 'ValueError: Asked to fail after reading vitals.' });
    expect(result.steps[0]?.log).to.contain('reading vitals');
  });

  it('raises a ClientError in the script when a call fails, with the error code the script can read', async () => {
    const result = await simulateDocument(doc, { parameters: { AutomationAssumeRole: ROLE, StreamName: 'missing', Mode: 'read' } });
    expect(result.failure?.message).to.equal('RuntimeError: Stream missing cannot be read: ResourceNotFoundException');
    expect(result.calls[0]?.error).to.match(/^ResourceNotFoundException: /);
  });

  it('lets the override hook answer a script call, and tells it the call came from a script', async () => {
    const seen: boolean[] = [];
    const result = await run('tag', (c) => {
      seen.push(c.fromScript);
      return c.api === 'CreateSecret' ? { ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:fixture-AbCdEf' } : undefined;
    });
    expect(result.status).to.equal('Success');
    expect(result.calls.map((c) => `${c.api}:${c.answeredBy}`)).to.deep.equal(['CreateSecret:override', 'DescribeStreamSummary:endpoint']);
    expect(seen).to.deep.equal([true, true]);
  });

  it('refuses a script call that the document checks could not see in the script text', async () => {
    // Arrange: the same fixture, its script calling the client through a name the static reader does not know
    const content = structuredClone(doc.content) as { mainSteps: { inputs: { Script: string } }[] };
    const step = content.mainSteps[0];
    if (!step) throw new Error('fixture has one step');
    step.inputs.Script = step.inputs.Script.replace(/^( *)summary = kinesis\.describe_stream_summary/m, '$1k2 = kinesis\n$1summary = k2.describe_stream_summary');
    // Act
    let caught: unknown;
    await simulateDocument({ ...doc, content }, { parameters: { AutomationAssumeRole: ROLE, StreamName: 'vitals', Mode: 'read' } }).catch((e: unknown) => (caught = e));
    // Assert
    expect(caught).to.be.instanceOf(SimulationError);
    expect((caught as Error).message).to.contain('the script called kinesis.describe_stream_summary, which the document checks cannot see');
  });

  describe('scriptApiCalls (static reader)', () => {
    it('finds each named client call with its PascalCase keywords', () => {
      const found = scriptApiCalls("sm = boto3.client('secretsmanager')\nx = sm.create_secret(Name=n, SecretString=s, Tags=[{'Key': 'a'}])\nsm.get_random_password(PasswordLength=64)");
      expect(found).to.deep.equal({
        calls: [
          { service: 'secretsmanager', method: 'create_secret', keywords: ['Name', 'SecretString', 'Tags'] },
          { service: 'secretsmanager', method: 'get_random_password', keywords: ['PasswordLength'] },
        ],
        problems: [],
      });
    });

    const unreadable: [string, RegExp][] = [
      ["boto3.client('kinesis').list_streams()", /must be assigned to a name/],
      ["s3 = boto3.resource('s3')", /uses boto3\.resource/],
      ["k = boto3.client('kinesis')\np = k.get_paginator('list_streams')", /uses paginators/],
      ["k = boto3.client('kinesis')\nf = getattr(k, 'list_streams')", /uses getattr/],
    ];
    for (const [script, problem] of unreadable) {
      it(`reports ${JSON.stringify(script.split('\n').at(-1))} as a problem`, () => {
        expect(scriptApiCalls(script).problems.some((p) => problem.test(p))).to.equal(true);
      });
    }

    it('recognises the handler definition', () => {
      expect(definesHandler('import x\n\ndef decide(events, context):\n    return 1', 'decide')).to.equal(true);
      expect(definesHandler('def decide(events):\n    return 1', 'decide')).to.equal(false);
    });
  });
});
