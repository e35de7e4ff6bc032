import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Safeguard } from '../../rules/runtime/safeguard';
import type { Json } from './conformance-pack';
import { elastiCacheChangeEventPattern } from '../../rules/triggers/elasticache-reevaluate';
import { MAX_ROLE_BASE_NAME, evaluationRoleActions, hubRoleBaseName, readStatements, securityHubStatements, wantsReevaluateTrigger } from './iam';
import type { RemediationDocument } from './remediation-docs';
import { spokeHookParts } from './hook-resources';
import {
  FORWARD_ROLE_BASE_NAME,
  HUB_EVENT_BUS_PREFIX,
  NOTIFICATION_TOPIC_LOGICAL_ID,
  NOTIFICATION_TOPIC_POLICY_LOGICAL_ID,
  REEVALUATE,
  documentLogicalId,
  documentResource,
  notificationTopic,
  notificationTopicPolicy,
  remediationRoles,
  serviceTrustPolicy,
} from './serverless-resources';

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
  HubStage: 'HubStage',
  EvaluationRoleName: 'EvaluationRoleName',
  ImportSecurityHubFindings: 'ImportSecurityHubFindings',
} as const;

export const EVALUATION_ROLE_LOGICAL_ID = 'EvaluationRole';
/** The ElastiCache change forwarding: a rule on this account's default bus, and the fixed-name role it puts events with. */
export const FORWARD = {
  rule: 'ElastiCacheChangeForwardRule',
  role: 'ElastiCacheChangeForwardRole',
} as const;
/** True when the hub deploys with importSecurityHubFindings: only then may the evaluation role write to Security Hub. */
export const SECURITY_HUB_CONDITION = 'ImportsSecurityHubFindings';
export const EVALUATION_SECURITY_HUB_POLICY_LOGICAL_ID = 'EvaluationRoleSecurityHubPolicy';
export const DEFAULT_EVALUATION_ROLE_NAME = 'HIPAA-Safeguards-Evaluation';

export { MAX_ROLE_BASE_NAME } from './iam';

const regional = (parameter: string): Json => ({ 'Fn::Sub': `\${${parameter}}-\${AWS::Region}` });

export interface SpokeTemplate {
  readonly AWSTemplateFormatVersion: string;
  readonly Description: string;
  readonly Parameters: Record<string, Json>;
  readonly Rules?: Record<string, Json>;
  readonly Conditions?: Record<string, Json>;
  readonly Resources: Record<string, Json>;
  readonly Outputs: Record<string, Json>;
}

/** The hub Lambdas that assume the evaluation role: every rule, and the ElastiCache trigger when deployed. */
export function hubFunctionKeys(safeguards: readonly Safeguard[]): string[] {
  return [...safeguards.map((s) => s.name), ...(wantsReevaluateTrigger(safeguards) ? [REEVALUATE.functionKey] : [])];
}

/** The exact ARN of one hub Lambda role (serverless-resources hubRole: `<path><stage>-<key>-<region>`). */
function hubRoleArn(functionKey: string): Json {
  const p = SpokeParameter;
  return { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${${p.HubAccountId}}:role\${${p.HubRolePath}}${hubRoleBaseName(`\${${p.HubStage}}`, functionKey)}-\${AWS::Region}` };
}

function evaluationRole(safeguards: readonly Safeguard[]): Json {
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
            // The account as principal, so the stack can be created before the hub roles exist; the condition names them.
            Principal: { AWS: { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${${SpokeParameter.HubAccountId}}:root` } },
            Action: 'sts:AssumeRole',
            // Exactly the hub Lambda roles (fixed names), not every principal of the hub or of a path.
            Condition: { ArnEquals: { 'aws:PrincipalArn': hubFunctionKeys(safeguards).map(hubRoleArn) } },
          },
        ],
      },
      Policies: [
        { PolicyName: 'rule-evaluations', PolicyDocument: { Version: '2012-10-17', Statement: readStatements(evaluationRoleActions(safeguards), 'sub') } },
      ],
    },
  };
}

/**
 * The evaluation role's Security Hub import, only where the hub deploys with importSecurityHubFindings: a policy of
 * its own under the condition (not an Fn::If in Policies, which moto cannot create).
 */
function evaluationSecurityHubPolicy(): Json {
  return {
    Type: 'AWS::IAM::Policy',
    Condition: SECURITY_HUB_CONDITION,
    Properties: {
      PolicyName: 'security-hub-findings',
      Roles: [{ Ref: EVALUATION_ROLE_LOGICAL_ID }],
      PolicyDocument: { Version: '2012-10-17', Statement: securityHubStatements('sub') },
    },
  };
}

/** The pack's event bus of the hub account in this region: where the spoke forwards ElastiCache changes. */
const HUB_BUS_ARN: Json = {
  'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${${SpokeParameter.HubAccountId}}:event-bus/${HUB_EVENT_BUS_PREFIX}\${${SpokeParameter.HubStage}}`,
};

/**
 * The ElastiCache change forwarding: this account's CloudTrail ElastiCache calls go to the pack's bus in the hub, same
 * region, where the hub's trigger starts the ElastiCache rules of this account (assuming the evaluation role). The
 * role's name is fixed: the hub bus accepts events from exactly that role of the organization's accounts.
 */
function forwardingResources(): Record<string, Json> {
  return {
    [FORWARD.role]: {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: { 'Fn::Sub': `${FORWARD_ROLE_BASE_NAME}-\${AWS::Region}` },
        Description: 'Lets the ElastiCache change rule of this account put its events on the HIPAA Safeguards hub event bus of this region.',
        // Only EventBridge rules of this account.
        AssumeRolePolicyDocument: serviceTrustPolicy('events.amazonaws.com'),
        Policies: [
          {
            PolicyName: 'forward-elasticache-changes',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [{ Sid: 'HubPackBusOnly', Effect: 'Allow', Action: 'events:PutEvents', Resource: HUB_BUS_ARN }],
            },
          },
        ],
      },
    },
    [FORWARD.rule]: {
      Type: 'AWS::Events::Rule',
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
      Description: 'IAM path of the hub rule Lambda roles (/<service>/<stage>/).',
    },
    [SpokeParameter.HubStage]: {
      Type: 'String',
      AllowedPattern: '^[a-z][a-z0-9-]{0,15}$',
      Description: 'Stage of the hub deployment: names its Lambda roles (<stage>-<function>-<region>), the only principals that may assume the evaluation role, and its event bus.',
    },
    [SpokeParameter.ImportSecurityHubFindings]: {
      Type: 'String',
      AllowedValues: ['false', 'true'],
      Default: 'false',
      Description: 'true: the evaluation role may import findings for this account\'s own Security Hub product and set their workflow status to RESOLVED (rule parameter importSecurityHubFindings).',
    },
    [SpokeParameter.EvaluationRoleName]: {
      Type: 'String',
      Default: DEFAULT_EVALUATION_ROLE_NAME,
      AllowedPattern: '^[\\w+=,.@-]+$',
      MaxLength: MAX_ROLE_BASE_NAME,
      Description: 'Evaluation role name; the region is appended (<name>-<region>). The hub passes the same name as executionRoleName.',
    },
  };
  const Resources: Record<string, Json> = {
    [EVALUATION_ROLE_LOGICAL_ID]: evaluationRole(safeguards),
    [EVALUATION_SECURITY_HUB_POLICY_LOGICAL_ID]: evaluationSecurityHubPolicy(),
    ...remediationRoles(documents, 'sub'),
  };
  Resources[NOTIFICATION_TOPIC_LOGICAL_ID] = notificationTopic();
  Resources[NOTIFICATION_TOPIC_POLICY_LOGICAL_ID] = notificationTopicPolicy(documents);
  for (const d of documents) Resources[documentLogicalId(d.name)] = documentResource(d);
  const forwards = wantsReevaluateTrigger(safeguards);
  if (forwards) Object.assign(Resources, forwardingResources());
  // The CloudFormation hook of this account and region (scripts/lib/hook-resources.ts), off until PreventionMode says.
  const hook = spokeHookParts(safeguards);
  Object.assign(Parameters, hook.Parameters);
  Object.assign(Resources, hook.Resources);
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: forwards
      ? 'HIPAA Safeguards spoke: the evaluation role the hub assumes, one remediation role per document, the SSM Automation documents and the ElastiCache change forwarding to the hub.'
      : 'HIPAA Safeguards spoke: the evaluation role the hub assumes, one remediation role per document and the SSM Automation documents.',
    Parameters,
    Rules: hook.Rules,
    Conditions: { [SECURITY_HUB_CONDITION]: { 'Fn::Equals': [{ Ref: SpokeParameter.ImportSecurityHubFindings }, 'true'] }, ...hook.Conditions },
    Resources,
    Outputs: {
      EvaluationRoleArn: { Value: { 'Fn::GetAtt': [EVALUATION_ROLE_LOGICAL_ID, 'Arn'] } },
    },
  };
}

const HEADER = `# HIPAA Safeguards spoke template (one stack per member account and region, from a service-managed StackSet).
# Generated from rules/catalog.ts and remediations/ by \`npm run build:pack\`: do not edit; a test fails when it drifts.
# Deployed by \`safeguards deploy-org\`, which sets ${SpokeParameter.HubAccountId}, ${SpokeParameter.HubRolePath}, ${SpokeParameter.HubStage}
# and ${SpokeParameter.ImportSecurityHubFindings}.
`;

/** The spoke file's exact text, deterministic like the pack's. */
export function renderSpoke(safeguards: readonly Safeguard[], documents: readonly RemediationDocument[]): string {
  // YAML 1.1 quoting: CloudFormation and PyYAML-based tools read an unquoted 2012-10-17 as a date.
  return HEADER + stringify(buildSpoke(safeguards, documents), { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' });
}
