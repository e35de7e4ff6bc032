import {
  type AwsSecurityFinding,
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { DEFAULT_RETRY, type RetryPolicy, sendInBatches } from './batches';
import { Compliance, type Evaluation } from './compliance';
import { SafeguardsError } from './errors';
import type { Safeguard } from './safeguard';

/** The ASFF version Security Hub accepts. */
export const ASFF_SCHEMA_VERSION = '2018-10-08';
/** BatchImportFindings and BatchUpdateFindings take at most 100 findings per call. */
export const MAX_FINDINGS_PER_CALL = 100;
export const HIPAA_FINDING_TYPE = 'Software and Configuration Checks/Industry and Regulatory Standards/HIPAA Controls';

/** Security Hub could not take some findings after every retry. */
export class FindingsImportError extends SafeguardsError {
  constructor(
    message: string,
    readonly findingIds: readonly string[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface FindingContext {
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  readonly now: Date;
}

// ASFF resource types for the types we evaluate; anything else is `Other`, as ASFF asks.
const ASFF_RESOURCE_TYPE: Readonly<Record<string, string>> = {
  'AWS::Kinesis::Stream': 'AwsKinesisStream',
  'AWS::ElastiCache::CacheCluster': 'AwsElastiCacheCacheCluster',
  'AWS::ElastiCache::ReplicationGroup': 'AwsElastiCacheReplicationGroup',
};

/** The resource's ARN where its shape is fixed by its ID; otherwise the ID itself. */
function resourceArn(type: string, id: string, c: FindingContext): string {
  const head = (service: string) => `arn:${c.partition}:${service}:${c.region}:${c.accountId}`;
  switch (type) {
    case 'AWS::Kinesis::Stream':
      return `${head('kinesis')}:stream/${id}`;
    case 'AWS::KinesisFirehose::DeliveryStream':
      return `${head('firehose')}:deliverystream/${id}`;
    case 'AWS::ElastiCache::ReplicationGroup':
      return `${head('elasticache')}:replicationgroup:${id}`;
    case 'AWS::ElastiCache::CacheCluster':
      return `${head('elasticache')}:cluster:${id}`;
    case 'AWS::ElastiCache::ServerlessCache':
      return `${head('elasticache')}:serverlesscache:${id}`;
    default:
      return id;
  }
}

/** The default product of the account: findings a customer imports for itself. */
export function productArn(c: FindingContext): string {
  return `arn:${c.partition}:securityhub:${c.region}:${c.accountId}:product/${c.accountId}/default`;
}

/**
 * One evaluation as an ASFF finding, stable per rule and resource so each run updates the same finding.
 * NON_COMPLIANT is FAILED with the safeguard's severity; COMPLIANT and NOT_APPLICABLE (exempt, deleted) are PASSED.
 * @example toFinding(kinesisStreamEncrypted, evaluation, { accountId, region: 'us-east-1', partition: 'aws', now })
 */
export function toFinding(safeguard: Safeguard, e: Evaluation, c: FindingContext): AwsSecurityFinding {
  const failed = e.ComplianceType === Compliance.NonCompliant;
  const severity = failed ? safeguard.severity : 'INFORMATIONAL';
  const now = c.now.toISOString();
  const remediation = safeguard.remediation;
  return {
    SchemaVersion: ASFF_SCHEMA_VERSION,
    Id: `hipaa-safeguards/${c.accountId}/${c.region}/${safeguard.name}/${e.ComplianceResourceType}/${e.ComplianceResourceId}`,
    ProductArn: productArn(c),
    ProductName: 'HIPAA Safeguards',
    CompanyName: 'HIPAA Safeguards pack',
    GeneratorId: `hipaa-safeguards/${safeguard.name}`,
    AwsAccountId: c.accountId,
    Region: c.region,
    Types: [HIPAA_FINDING_TYPE],
    CreatedAt: now,
    UpdatedAt: now,
    Severity: { Label: severity },
    // Providers update severity and types through FindingProviderFields after the finding exists.
    FindingProviderFields: { Severity: { Label: severity }, Types: [HIPAA_FINDING_TYPE] },
    Title: safeguard.title.slice(0, 256),
    Description: e.Annotation.slice(0, 1024),
    Resources: [
      {
        Type: ASFF_RESOURCE_TYPE[e.ComplianceResourceType] ?? 'Other',
        Id: resourceArn(e.ComplianceResourceType, e.ComplianceResourceId, c),
        Partition: c.partition as 'aws',
        Region: c.region,
        Details: { Other: { ConfigResourceType: e.ComplianceResourceType, ConfigResourceId: e.ComplianceResourceId } },
      },
    ],
    Compliance: {
      Status: failed ? 'FAILED' : 'PASSED',
      RelatedRequirements: safeguard.hipaa.map((h) => `HIPAA ${h}`),
    },
    ...(remediation
      ? {
          Remediation: {
            Recommendation: {
              Text: `Run the SSM Automation document ${remediation.document}${remediation.automatic ? ' (the pack runs it automatically for NON_COMPLIANT resources)' : ''}.`.slice(0, 512),
            },
          },
        }
      : {}),
    ProductFields: { 'hipaa-safeguards/rule': safeguard.name, 'hipaa-safeguards/compliance': e.ComplianceType },
    RecordState: 'ACTIVE',
  };
}

/**
 * Imports findings 100 per call, retrying FailedFindings with backoff, then marks PASSED ones RESOLVED
 * (BatchImportFindings may not change Workflow after creation; Security Hub itself reopens a finding that fails
 * again). Throws FindingsImportError naming what could not be imported.
 */
export async function importFindings(hub: SecurityHubClient, findings: readonly AwsSecurityFinding[], retry: RetryPolicy = DEFAULT_RETRY): Promise<void> {
  const idOf = (f: AwsSecurityFinding) => f.Id ?? '';
  const imported = await sendInBatches(findings, MAX_FINDINGS_PER_CALL, idOf, async (batch) => {
    const out = await hub.send(new BatchImportFindingsCommand({ Findings: [...batch] }));
    return (out.FailedFindings ?? []).map((f) => f.Id ?? '');
  }, retry);
  const resolved = findings.filter((f) => f.Compliance?.Status === 'PASSED' && !imported.rejected.includes(idOf(f)));
  const updated = await sendInBatches(resolved, MAX_FINDINGS_PER_CALL, idOf, async (batch) => {
    const out = await hub.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: batch.map((f) => ({ Id: f.Id, ProductArn: f.ProductArn })),
        Workflow: { Status: 'RESOLVED' },
      }),
    );
    return (out.UnprocessedFindings ?? []).map((u) => u.FindingIdentifier?.Id ?? '');
  }, retry);
  const failed = [...imported.rejected, ...updated.rejected];
  if (failed.length > 0) {
    throw new FindingsImportError(
      `Security Hub rejected ${failed.length} finding(s) after retries: ${failed.slice(0, 5).join(', ')}${failed.length > 5 ? ', …' : ''}.`,
      failed,
    );
  }
}
