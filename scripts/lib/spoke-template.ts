import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Safeguard } from '../../rules/runtime/safeguard';
import { DEFAULT_REMEDIATION_ROLE_NAME, type Json } from './conformance-pack';
import { elastiCacheChangeEventPattern } from '../../rules/triggers/elasticache-reevaluate';
import { evaluationRoleActions, isWildcardAction, wantsReevaluateTrigger } from './iam';
import type { RemediationDocument } from './remediation-docs';
import { documentLogicalId, documentResource, remediationRole, NOTIFICATION_TOPIC_LOGICAL_ID, notificationTopic, serviceTrustPolicy } from './serverless-resources';

/**
 * The spoke: what every member account needs in every region before the organization conformance pack reaches it.
 * Deployed by a service-managed StackSet with automatic deployment (safeguards deploy-org), generated from the
 * catalog and the remediation documents, committed, drift-checked by a test like the pack.
 *
 * IAM roles are global but a StackSet instance is per account AND region, so the roles are named per region
 * (`<name>-<region>`): each region's instance owns its own pair, a region can be added or removed without touching
 * the others, and there is no "primary region" whose removal would break every other region. The hub of a region
 * passes that region's names to its rules (executionRoleName) and remediations (AutomationAssumeRole).
 */
export const SPOKE_PATH = join(__dirname, '..', '..', 'conformance-packs', 'hipaa-safeguards-spoke.yaml');

export const SpokeParameter = {
  HubAccountId: 'HubAccountId',
  HubRolePath: 'HubRolePath',
  EvaluationRoleName: 'EvaluationRoleName',
  RemediationRoleName: 'RemediationRoleName',
} as const;

export const EVALUATION_ROLE_LOGICAL_ID = 'EvaluationRole';
export const SPOKE_REMEDIATION_ROLE_LOGICAL_ID = 'RemediationRole';
/** The ElastiCache change forwarding: a rule on this account's default bus, and the role it puts events with. */
export const FORWARD = {
  rule: 'ElastiCacheChangeForwardRule',
  role: 'ElastiCacheChangeForwardRole',
  /** Not in the hub account itself: its own events reach its rule directly (a rule cannot target its own bus). */
  condition: 'NotTheHubAccount',
} as const;
export const DEFAULT_EVALUATION_ROLE_NAME = 'HIPAA-Safeguards-Evaluation';

/** IAM role names hold 64 characters; `-<region>` takes up to 16 (`-eusc-de-east-1`). */
export const MAX_ROLE_BASE_NAME = 48;

/** Actions that accept a Config rule ARN, scoped to the Config rules of this account and region. */
const CONFIG_RULE_SCOPED = new Set(['config:GetComplianceDetailsByConfigRule', 'config:StartConfigRulesEvaluation']);

const regional = (parameter: string): Json => ({ 'Fn::Sub': `\${${parameter}}-\${AWS::Region}` });

export interface SpokeTemplate {
  readonly AWSTemplateFormatVersion: string;
  readonly Description: string;
  readonly Parameters: Record<string, Json>;
  readonly Conditions?: Record<string, Json>;
  readonly Resources: Record<string, Json>;
  readonly Outputs: Record<string, Json>;
}

function evaluationRole(safeguards: readonly Safeguard[]): Json {
  const actions = evaluationRoleActions(safeguards);
  const wild = actions.filter(isWildcardAction);
  if (wild.length > 0) throw new Error(`Rules declare wildcard actions ${wild.join(', ')}; list each action.`);
  const ruleScoped = actions.filter((a) => CONFIG_RULE_SCOPED.has(a));
  const statements: Json[] = [
    // PutEvaluations, GetResourceConfigHistory, DescribeConfigRules and the List*/Describe* reads have no
    // resource-level permissions.
    { Sid: 'RuleCalls', Effect: 'Allow', Action: actions.filter((a) => !CONFIG_RULE_SCOPED.has(a)), Resource: '*' },
  ];
  if (ruleScoped.length > 0) {
    statements.push({
      Sid: 'ConfigRuleReads',
      Effect: 'Allow',
      Action: ruleScoped,
      Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:config:${AWS::Region}:${AWS::AccountId}:config-rule/*' },
    });
  }
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      RoleName: regional(SpokeParameter.EvaluationRoleName),
      Description: 'Assumed by the HIPAA Safeguards rule Lambdas (and the ElastiCache trigger) of the hub account to evaluate this account and region.',
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${${SpokeParameter.HubAccountId}}:root` } },
            Action: 'sts:AssumeRole',
            // Only the hub rule Lambda roles (serverless.yml gives them this path), not every principal of the hub.
            Condition: {
              ArnLike: {
                'aws:PrincipalArn': {
                  'Fn::Sub': `arn:\${AWS::Partition}:iam::\${${SpokeParameter.HubAccountId}}:role\${${SpokeParameter.HubRolePath}}*`,
                },
              },
            },
          },
        ],
      },
      Policies: [{ PolicyName: 'rule-evaluations', PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
    },
  };
}

/** The hub account's default event bus in this region: where the spoke forwards ElastiCache changes. */
const HUB_BUS_ARN: Json = { 'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${${SpokeParameter.HubAccountId}}:event-bus/default` };

/**
 * The ElastiCache change forwarding: this account's CloudTrail ElastiCache calls go to the hub's default bus in the
 * same region, where the hub's trigger starts the ElastiCache rules of this account (assuming the evaluation role).
 */
function forwardingResources(): Record<string, Json> {
  return {
    [FORWARD.role]: {
      Type: 'AWS::IAM::Role',
      Condition: FORWARD.condition,
      Properties: {
        Description: 'Lets the ElastiCache change rule of this account put its events on the hub default event bus of this region.',
        // Only EventBridge rules of this account.
        AssumeRolePolicyDocument: serviceTrustPolicy('events.amazonaws.com'),
        Policies: [
          {
            PolicyName: 'forward-elasticache-changes',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [{ Sid: 'HubDefaultBusOnly', Effect: 'Allow', Action: 'events:PutEvents', Resource: HUB_BUS_ARN }],
            },
          },
        ],
      },
    },
    [FORWARD.rule]: {
      Type: 'AWS::Events::Rule',
      Condition: FORWARD.condition,
      Properties: {
        Description: 'ElastiCache changes (CloudTrail) of this account, forwarded to the HIPAA Safeguards hub to be judged within minutes.',
        EventPattern: elastiCacheChangeEventPattern as unknown as Json,
        State: 'ENABLED',
        Targets: [{ Id: 'hipaa-safeguards-hub', Arn: HUB_BUS_ARN, RoleArn: { 'Fn::GetAtt': [FORWARD.role, 'Arn'] } }],
      },
    },
  };
}

/**
 * The spoke template of the catalog and documents: evaluation role, remediation role, every document, and (with
 * ElastiCache rules) the forwarding of ElastiCache changes to the hub.
 */
export function buildSpoke(safeguards: readonly Safeguard[], documents: readonly RemediationDocument[]): SpokeTemplate {
  const known = new Set(documents.map((d) => d.name));
  for (const s of safeguards) {
    if (s.remediation && !known.has(s.remediation.document)) {
      throw new Error(`Safeguard ${s.name} links remediation ${s.remediation.document}, but remediations/${s.remediation.document}.yaml is missing.`);
    }
  }
  const Parameters: Record<string, Json> = {
    [SpokeParameter.HubAccountId]: {
      Type: 'String',
      AllowedPattern: '^\\d{12}$',
      Description: 'The delegated administrator account whose rule Lambdas assume the evaluation role (and whose default event bus receives the ElastiCache changes).',
    },
    [SpokeParameter.HubRolePath]: {
      Type: 'String',
      AllowedPattern: '^/([A-Za-z0-9+=,.@_-]+/)+$',
      Description: 'IAM path of the hub rule Lambda roles (/<service>/<stage>/): only roles under it may assume the evaluation role.',
    },
    [SpokeParameter.EvaluationRoleName]: {
      Type: 'String',
      Default: DEFAULT_EVALUATION_ROLE_NAME,
      AllowedPattern: '^[\\w+=,.@-]+$',
      MaxLength: MAX_ROLE_BASE_NAME,
      Description: 'Evaluation role name; the region is appended (<name>-<region>). The hub passes the same name as executionRoleName.',
    },
    [SpokeParameter.RemediationRoleName]: {
      Type: 'String',
      Default: DEFAULT_REMEDIATION_ROLE_NAME,
      AllowedPattern: '^[\\w+=,.@-]+$',
      MaxLength: MAX_ROLE_BASE_NAME,
      Description: 'Remediation role name; the region is appended (<name>-<region>). The conformance pack builds AutomationAssumeRole from it.',
    },
  };
  const Resources: Record<string, Json> = {
    [EVALUATION_ROLE_LOGICAL_ID]: evaluationRole(safeguards),
    [SPOKE_REMEDIATION_ROLE_LOGICAL_ID]: remediationRole(documents, regional(SpokeParameter.RemediationRoleName)),
  };
  Resources[NOTIFICATION_TOPIC_LOGICAL_ID] = notificationTopic();
  for (const d of documents) Resources[documentLogicalId(d.name)] = documentResource(d);
  const forwards = wantsReevaluateTrigger(safeguards);
  if (forwards) Object.assign(Resources, forwardingResources());
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: forwards
      ? 'HIPAA Safeguards spoke: the evaluation role the hub assumes, the remediation role, the SSM Automation documents and the ElastiCache change forwarding to the hub.'
      : 'HIPAA Safeguards spoke: the evaluation role the hub assumes, the remediation role and the SSM Automation documents.',
    Parameters,
    ...(forwards
      ? { Conditions: { [FORWARD.condition]: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, { Ref: SpokeParameter.HubAccountId }] }] } } }
      : {}),
    Resources,
    Outputs: {
      EvaluationRoleArn: { Value: { 'Fn::GetAtt': [EVALUATION_ROLE_LOGICAL_ID, 'Arn'] } },
      RemediationRoleArn: { Value: { 'Fn::GetAtt': [SPOKE_REMEDIATION_ROLE_LOGICAL_ID, 'Arn'] } },
    },
  };
}

const HEADER = `# HIPAA Safeguards spoke template (one stack per member account and region, from a service-managed StackSet).
# Generated from rules/catalog.ts and remediations/ by \`npm run build:pack\`: do not edit; a test fails when it drifts.
# Deployed by \`safeguards deploy-org\`, which sets ${SpokeParameter.HubAccountId} and ${SpokeParameter.HubRolePath}.
`;

/** The spoke file's exact text, deterministic like the pack's. */
export function renderSpoke(safeguards: readonly Safeguard[], documents: readonly RemediationDocument[]): string {
  // YAML 1.1 quoting: CloudFormation and PyYAML-based tools read an unquoted 2012-10-17 as a date.
  return HEADER + stringify(buildSpoke(safeguards, documents), { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' });
}
