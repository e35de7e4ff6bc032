import type { Safeguard } from '../../rules/runtime/safeguard';
import {
  type Json,
  REMEDIATION_ROLE_NAME_PARAMETER,
  packNames,
  pascal,
} from './conformance-pack';
import { isWildcardAction, remediationActions, ruleActions } from './iam';
import type { RemediationDocument } from './remediation-docs';

/** Lambda's limit on function names. */
export const MAX_FUNCTION_NAME = 64;
/** PutConformancePack takes at most 60 input parameters: one Lambda ARN per rule plus the role name. */
export const MAX_PACK_INPUT_PARAMETERS = 60;

export const REMEDIATION_ROLE_LOGICAL_ID = 'RemediationRole';
export const CONFORMANCE_PACK_LOGICAL_ID = 'HipaaSafeguardsConformancePack';

/** Logical IDs serverless gives a function's resources (its naming: `-` → `Dash`, first letter upper). */
export function serverlessLogicalIds(functionKey: string) {
  const normalized = functionKey.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  const base = normalized.charAt(0).toUpperCase() + normalized.slice(1);
  return { function: `${base}LambdaFunction`, logGroup: `${base}LogGroup` };
}

/** Logical IDs this project adds per rule. */
export function ruleLogicalIds(safeguard: Safeguard) {
  const base = pascal(safeguard.name);
  return { role: `${base}Role`, permission: `${base}ConfigPermission` };
}

export function documentLogicalId(documentName: string): string {
  return `${pascal(documentName)}Document`;
}

export interface ServerlessFunction {
  readonly handler: string;
  readonly name: string;
  readonly description: string;
  /** Logical ID of the function's own role in `resources`. */
  readonly role: string;
}

export interface PartsInput {
  readonly safeguards: readonly Safeguard[];
  readonly documents: readonly RemediationDocument[];
  /** conformance-packs/hipaa-safeguards.yaml, as committed. */
  readonly packText: string;
  readonly service: string;
  readonly stage: string;
  readonly remediationRoleName: string;
}

/** One function per safeguard; its key is the rule name (one id everywhere). */
export function buildFunctions(input: Pick<PartsInput, 'safeguards' | 'service' | 'stage'>): Record<string, ServerlessFunction> {
  const functions: Record<string, ServerlessFunction> = {};
  for (const s of input.safeguards) {
    const name = `${input.service}-${input.stage}-${s.name}`;
    if (name.length > MAX_FUNCTION_NAME) {
      throw new Error(`Lambda function name ${name} is ${name.length} characters; Lambda allows ${MAX_FUNCTION_NAME}. Use a shorter stage.`);
    }
    functions[s.name] = {
      handler: `rules/${s.name}.handler`,
      name,
      description: s.title.slice(0, 256),
      role: ruleLogicalIds(s).role,
    };
  }
  return functions;
}

const lambdaTrust: Json = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

/** Resources that accept a Config rule ARN; the rule IDs are random, so the scope is "rules of this account". */
const CONFIG_RULE_SCOPED = new Set(['config:GetComplianceDetailsByConfigRule']);

function ruleRole(s: Safeguard, functionKey: string): Json {
  const actions = ruleActions(s);
  const ruleScoped = actions.filter((a) => CONFIG_RULE_SCOPED.has(a));
  const anyResource = actions.filter((a) => !CONFIG_RULE_SCOPED.has(a));
  const statements: Json[] = [
    {
      Sid: 'OwnLogGroupOnly',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: { 'Fn::GetAtt': [serverlessLogicalIds(functionKey).logGroup, 'Arn'] },
    },
  ];
  // PutEvaluations, GetResourceConfigHistory and the List*/Describe* reads have no resource-level permissions.
  if (anyResource.length > 0) statements.push({ Sid: 'RuleCalls', Effect: 'Allow', Action: anyResource, Resource: '*' });
  if (ruleScoped.length > 0) {
    statements.push({
      Sid: 'ConfigRuleReads',
      Effect: 'Allow',
      Action: ruleScoped,
      Resource: {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':config:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':config-rule/*']],
      },
    });
  }
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: `Least privilege for the ${s.name} AWS Config rule Lambda.`,
      AssumeRolePolicyDocument: lambdaTrust,
      Policies: [{ PolicyName: s.name, PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
    },
  };
}

function remediationRole(documents: readonly RemediationDocument[], roleName: string): Json {
  const actions = remediationActions(documents);
  const wild = actions.filter(isWildcardAction);
  if (wild.length > 0) throw new Error(`Remediation documents declare wildcard actions ${wild.join(', ')}; list each action.`);
  const roleArn: Json = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/', roleName]] };
  const passRole = actions.includes('iam:PassRole');
  const statements: Json[] = [
    { Sid: 'DeclaredByDocuments', Effect: 'Allow', Action: actions.filter((a) => a !== 'iam:PassRole'), Resource: '*' },
  ];
  // Only ever this role, to SSM (a document that starts a child automation passes its own role on).
  if (passRole) {
    statements.push({
      Sid: 'PassOwnRoleToSsm',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: roleArn,
      Condition: { StringEquals: { 'iam:PassedToService': 'ssm.amazonaws.com' } },
    });
  }
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      // Fixed name: the conformance pack builds AutomationAssumeRole from it.
      RoleName: roleName,
      Description: 'Assumed by SSM Automation to run the HIPAA Safeguards remediation documents.',
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'ssm.amazonaws.com' },
            Action: 'sts:AssumeRole',
            // Confused-deputy guard: only automations of this account.
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
      Policies: [{ PolicyName: 'remediation-documents', PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
    },
  };
}

/** A document's parsed content, refused when CloudFormation would read part of it as an intrinsic function. */
function documentContent(d: RemediationDocument): Json {
  const visit = (value: unknown, path: string): void => {
    if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${path}[${i}]`));
    else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (k === 'Ref' || k.startsWith('Fn::')) {
          throw new Error(`Remediation document ${d.name} has a key ${k} at ${path}, which CloudFormation would evaluate.`);
        }
        visit(v, `${path}.${k}`);
      }
    }
  };
  if (d.content === null || typeof d.content !== 'object' || Array.isArray(d.content)) {
    throw new Error(`Remediation document ${d.name} is not a YAML mapping.`);
  }
  visit(d.content, d.name);
  return d.content as Json;
}

/**
 * The CloudFormation resources serverless.yml adds to its functions: one role and one Config invoke permission per
 * rule, the SSM documents, the remediation role and the conformance pack wired to the Lambdas.
 */
export function buildResources(input: PartsInput): { Resources: Record<string, Json> } {
  // serverless resolves ${...} in everything this returns: a document or pack with one would be corrupted.
  for (const [what, text] of [['conformance pack', input.packText], ...input.documents.map((d) => [d.name, d.text])] as const) {
    if (text.includes('${')) throw new Error(`${what} contains "\${", which serverless would resolve as a variable.`);
  }
  const known = new Set(input.documents.map((d) => d.name));
  for (const s of input.safeguards) {
    if (s.remediation && !known.has(s.remediation.document)) {
      throw new Error(`Safeguard ${s.name} links remediation ${s.remediation.document}, but remediations/${s.remediation.document}.yaml is missing.`);
    }
  }
  if (input.safeguards.length + 1 > MAX_PACK_INPUT_PARAMETERS) {
    throw new Error(
      `${input.safeguards.length} rules need ${input.safeguards.length + 1} conformance pack input parameters; Config takes ${MAX_PACK_INPUT_PARAMETERS}.`,
    );
  }

  const Resources: Record<string, Json> = {};
  const packDependsOn: string[] = [REMEDIATION_ROLE_LOGICAL_ID];
  const packInputs: Json[] = [{ ParameterName: REMEDIATION_ROLE_NAME_PARAMETER, ParameterValue: input.remediationRoleName }];

  for (const s of input.safeguards) {
    const ids = ruleLogicalIds(s);
    const fn = serverlessLogicalIds(s.name).function;
    Resources[ids.role] = ruleRole(s, s.name);
    Resources[ids.permission] = {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        FunctionName: { 'Fn::GetAtt': [fn, 'Arn'] },
        Action: 'lambda:InvokeFunction',
        Principal: 'config.amazonaws.com',
        // Only Config rules of this account; their names get a random suffix from the pack, so no SourceArn.
        SourceAccount: { Ref: 'AWS::AccountId' },
      },
    };
    packDependsOn.push(ids.permission);
    packInputs.push({ ParameterName: packNames(s).lambdaArn, ParameterValue: { 'Fn::GetAtt': [fn, 'Arn'] } });
  }

  for (const d of input.documents) {
    const id = documentLogicalId(d.name);
    Resources[id] = {
      Type: 'AWS::SSM::Document',
      Properties: {
        Name: d.name,
        DocumentType: 'Automation',
        DocumentFormat: 'YAML',
        // Parsed, not the text: CloudFormation writes it back as YAML, and cfn-lint (E3051) can only check objects.
        Content: documentContent(d),
        UpdateMethod: 'NewVersion',
      },
    };
    packDependsOn.push(id);
  }

  Resources[REMEDIATION_ROLE_LOGICAL_ID] = remediationRole(input.documents, input.remediationRoleName);
  Resources[CONFORMANCE_PACK_LOGICAL_ID] = {
    Type: 'AWS::Config::ConformancePack',
    // Config invokes each Lambda as soon as its rule exists, and checks that remediation documents exist.
    DependsOn: packDependsOn,
    Properties: {
      ConformancePackName: `${input.service}-${input.stage}`,
      TemplateBody: input.packText,
      ConformancePackInputParameters: packInputs,
    },
  };
  return { Resources };
}
