import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Safeguard } from '../../rules/runtime/safeguard';
import type { Json } from './conformance-pack';
import { deployedChangeSources } from '../../rules/catalog';
import { CHANGE_SOURCES, type ChangeSource } from '../../rules/triggers/change-sources';
import { changeEventPattern } from '../../rules/triggers/reevaluate-on-change';
import { MAX_ROLE_BASE_NAME, evaluationRoleActions, hubRoleBaseName, readStatements, securityHubStatements, wantsReevaluateTrigger } from './iam';
import { pascal } from './conformance-pack';
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
/**
 * The change forwarding: one rule per change source on this account's default bus (forwardRuleLogicalId), and the
 * fixed-name role they put events with. The role keeps the logical ID it had when ElastiCache was the only source:
 * its name is fixed (HIPAA-Safeguards-Forward-<region>, which the hub bus policy names), and CloudFormation creates a
 * renamed resource before it deletes the old one, so a rename would fail every spoke instance's update on the name.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-name.html
 */
export const FORWARD = {
  role: 'ElastiCacheChangeForwardRole',
} as const;

/** The forwarding rule of one change source: `ChangeForwardRule<Id>` (`ChangeForwardRuleElasticache`). */
export function forwardRuleLogicalId(source: ChangeSource): string {
  return `ChangeForwardRule${pascal(source.id)}`;
}
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

/** The hub Lambdas that assume the evaluation role: every rule, and the CloudTrail re-evaluation trigger when deployed. */
export function hubFunctionKeys(safeguards: readonly Safeguard[], sources: readonly ChangeSource[] = CHANGE_SOURCES): string[] {
  return [...safeguards.map((s) => s.name), ...(wantsReevaluateTrigger(safeguards, sources) ? [REEVALUATE.functionKey] : [])];
}

/** The exact ARN of one hub Lambda role (serverless-resources hubRole: `<path><stage>-<key>-<region>`). */
function hubRoleArn(functionKey: string): Json {
  const p = SpokeParameter;
  return { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${${p.HubAccountId}}:role\${${p.HubRolePath}}${hubRoleBaseName(`\${${p.HubStage}}`, functionKey)}-\${AWS::Region}` };
}

function evaluationRole(safeguards: readonly Safeguard[], sources: readonly ChangeSource[]): Json {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      RoleName: regional(SpokeParameter.EvaluationRoleName),
      Description: 'Assumed by the HIPAA Safeguards rule Lambdas (and the CloudTrail re-evaluation trigger) of the hub account to evaluate this account and region.',
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            // The account as principal, so the stack can be created before the hub roles exist; the condition names them.
            Principal: { AWS: { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${${SpokeParameter.HubAccountId}}:root` } },
            Action: 'sts:AssumeRole',
            // Exactly the hub Lambda roles (fixed names), not every principal of the hub or of a path.
            Condition: { ArnEquals: { 'aws:PrincipalArn': hubFunctionKeys(safeguards, sources).map(hubRoleArn) } },
          },
        ],
      },
      Policies: [
        { PolicyName: 'rule-evaluations', PolicyDocument: { Version: '2012-10-17', Statement: readStatements(evaluationRoleActions(safeguards, sources), 'sub') } },
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

/** The pack's event bus of the hub account in this region: where the spoke forwards change events. */
const HUB_BUS_ARN: Json = {
  'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${${SpokeParameter.HubAccountId}}:event-bus/${HUB_EVENT_BUS_PREFIX}\${${SpokeParameter.HubStage}}`,
};

/**
 * The change forwarding: this account's CloudTrail calls of each change source the catalog has safeguards of go to
 * the pack's bus in the hub, same region, where the hub's trigger starts that source's rules of this account (assuming
 * the evaluation role). One rule per source, each matching exactly its source's calls, as the hub's own rules do. The
 * role's name is fixed: the hub bus accepts events from exactly that role of the organization's accounts.
 */
function forwardingResources(sources: readonly ChangeSource[]): Record<string, Json> {
  const resources: Record<string, Json> = {
    [FORWARD.role]: {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: { 'Fn::Sub': `${FORWARD_ROLE_BASE_NAME}-\${AWS::Region}` },
        Description: 'Lets the change forwarding rules of this account put their CloudTrail events on the HIPAA Safeguards hub event bus of this region.',
        // Only EventBridge rules of this account.
        AssumeRolePolicyDocument: serviceTrustPolicy('events.amazonaws.com'),
        Policies: [
          {
            PolicyName: 'forward-changes',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [{ Sid: 'HubPackBusOnly', Effect: 'Allow', Action: 'events:PutEvents', Resource: HUB_BUS_ARN }],
            },
          },
        ],
      },
    },
  };
  for (const source of sources) {
    resources[forwardRuleLogicalId(source)] = {
      Type: 'AWS::Events::Rule',
      Properties: {
        Description: `${source.id} changes (CloudTrail ${source.eventSource}) of this account, forwarded to the HIPAA Safeguards hub to be judged within minutes.`,
        EventPattern: changeEventPattern(source) as unknown as Json,
        State: 'ENABLED',
        Targets: [{ Id: 'hipaa-safeguards-hub', Arn: HUB_BUS_ARN, RoleArn: { 'Fn::GetAtt': [FORWARD.role, 'Arn'] } }],
      },
    };
  }
  return resources;
}

/**
 * The spoke template of the catalog and documents: evaluation role, remediation role, every document, and (with
 * safeguards of a change source) the forwarding of those sources' CloudTrail events to the hub. `sources`: the
 * change sources the trigger may serve (CHANGE_SOURCES; tests add others).
 */
export function buildSpoke(safeguards: readonly Safeguard[], documents: readonly RemediationDocument[], sources: readonly ChangeSource[] = CHANGE_SOURCES): SpokeTemplate {
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
      Description: 'The delegated administrator account whose rule Lambdas assume the evaluation role (and whose event bus receives the forwarded change events).',
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
    [EVALUATION_ROLE_LOGICAL_ID]: evaluationRole(safeguards, sources),
    [EVALUATION_SECURITY_HUB_POLICY_LOGICAL_ID]: evaluationSecurityHubPolicy(),
    ...remediationRoles(documents, 'sub'),
  };
  Resources[NOTIFICATION_TOPIC_LOGICAL_ID] = notificationTopic();
  Resources[NOTIFICATION_TOPIC_POLICY_LOGICAL_ID] = notificationTopicPolicy(documents);
  for (const d of documents) Resources[documentLogicalId(d.name)] = documentResource(d);
  const forwarded = deployedChangeSources(safeguards, sources).map((d) => d.source);
  const forwards = forwarded.length > 0;
  if (forwards) Object.assign(Resources, forwardingResources(forwarded));
  // The CloudFormation hook of this account and region (scripts/lib/hook-resources.ts), off until PreventionMode says.
  const hook = spokeHookParts(safeguards);
  Object.assign(Parameters, hook.Parameters);
  Object.assign(Resources, hook.Resources);
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: forwards
      ? 'HIPAA Safeguards spoke: the evaluation role the hub assumes, one remediation role per document, the SSM Automation documents and the change forwarding (CloudTrail) to the hub.'
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
