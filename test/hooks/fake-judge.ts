// A stand-in for rules/prevention/judge.ts (built in parallel): judges AWS::Kinesis::Stream properties with the REAL
// kinesis-stream-encrypted evaluate, through a minimal view built from the CloudFormation properties, so the verdicts
// and their annotations are the rule's own. A KeyId that is a Ref or an unknown alias cannot be resolved offline:
// UNKNOWN, as the prevention contract requires. Every call is recorded.
import { kinesisStreamEncrypted } from '../../rules/kinesis-stream-encrypted';
import type { JudgeProperties, PropertiesInput, PropertyVerdict } from '../../rules/prevention/judge-properties';
import type { KinesisStream } from '../../rules/resources/kinesis-stream';
import { parseParameters } from '../../rules/runtime/parameters';

export interface FakeJudge {
  readonly judge: JudgeProperties;
  readonly calls: PropertiesInput[];
}

const RULE = kinesisStreamEncrypted.name;

function streamOf(input: PropertiesInput): KinesisStream {
  const p = input.properties as { Name?: string; StreamEncryption?: { EncryptionType: string; KeyId?: unknown } };
  const keyId = typeof p.StreamEncryption?.KeyId === 'string' ? p.StreamEncryption.KeyId : undefined;
  return {
    id: p.Name ?? input.logicalId,
    resourceType: input.resourceType,
    name: p.Name ?? input.logicalId,
    encryptionType: p.StreamEncryption?.EncryptionType ?? 'NONE',
    ...(keyId ? { keyId } : {}),
    encryptionField: p.StreamEncryption ? 'StreamEncryption.EncryptionType' : 'StreamEncryption',
    tags: {},
  };
}

export function fakeJudge(extra: (input: PropertiesInput) => PropertyVerdict[] = () => []): FakeJudge {
  const calls: PropertiesInput[] = [];
  const judge: JudgeProperties = async (input) => {
    calls.push(input);
    if (input.resourceType !== 'AWS::Kinesis::Stream') return extra(input);
    const p = input.properties as { StreamEncryption?: { KeyId?: unknown } };
    const key = p.StreamEncryption?.KeyId;
    if (key !== undefined && typeof key !== 'string') {
      return [
        {
          rule: RULE,
          resourceType: input.resourceType,
          compliance: 'UNKNOWN',
          annotation: `Stream ${input.logicalId} StreamEncryption.KeyId is ${JSON.stringify(key)}, which cannot be resolved before deployment. 45 CFR 164.312(a)(2)(iv)`,
        },
        ...extra(input),
      ];
    }
    const params = parseParameters(kinesisStreamEncrypted.schema, input.parameters?.[RULE] ?? {});
    const verdict = kinesisStreamEncrypted.evaluate(streamOf(input), params, { now: new Date(), facts: { key: undefined } });
    return [{ rule: RULE, resourceType: input.resourceType, compliance: verdict.compliance, annotation: verdict.annotation }, ...extra(input)];
  };
  return { judge, calls };
}
