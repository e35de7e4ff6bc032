import { join } from 'node:path';
import { stringify } from 'yaml';
import { defaultAsString } from '../../rules/runtime/parameters';
import type { Safeguard } from '../../rules/runtime/safeguard';
import { remediationRoleArn } from './iam';

/** A CloudFormation template value. */
export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

export const PACK_PATH = join(__dirname, '..', '..', 'conformance-packs', 'hipaa-safeguards.yaml');

/** AWS Config limits: rules per conformance pack; TemplateBody bytes (larger packs need TemplateS3Uri). */
export const MAX_PACK_RULES = 130;
export const MAX_TEMPLATE_BODY_BYTES = 51_200;
/** The pack as an S3 object (TemplateS3Uri), as `safeguards deploy` and `deploy-org` upload it. */
export const MAX_TEMPLATE_S3_BYTES = 300 * 1024;
/**
 * A CloudFormation template read from S3 (TemplateURL of CreateStackSet, CreateStack, UpdateStack): "maximum size:
 * 1 MB" (the CloudFormation API model in @aws-sdk/client-cloudformation); held to 1,000,000 bytes to be safe.
 */
export const MAX_TEMPLATE_URL_BYTES = 1_000_000;
/** Config's PutConfigRule and ConfigRule.Description limits. */
export const MAX_CONFIG_RULE_NAME = 128;
export const MAX_RULE_DESCRIPTION = 256;
/** ConfigRule.InputParameters is a JSON string of at most 1024 characters. */
export const MAX_INPUT_PARAMETERS_CHARS = 1024;
/** RemediationConfiguration limits from the Config API model. */
export const MAX_AUTOMATIC_ATTEMPTS = 25;
export const MAX_RETRY_ATTEMPT_SECONDS = 2_678_000;
/** Config appends `-conformance-pack-<8 random characters>` to the name of every rule a pack creates. */
export const PACK_RULE_NAME_SUFFIX_LENGTH = '-conformance-pack-'.length + 8;

/** The SNS topic every deployment creates in each account and region for remediations that notify a person. */
export const NOTIFICATION_TOPIC_NAME_PARAMETER = 'NotificationTopicName';
export const DEFAULT_NOTIFICATION_TOPIC_NAME = 'HIPAA-Safeguards-Notifications';

const PLACEHOLDERS: Readonly<Record<string, Json>> = {
  partition: { Ref: 'AWS::Partition' },
  region: { Ref: 'AWS::Region' },
  accountId: { Ref: 'AWS::AccountId' },
  [NOTIFICATION_TOPIC_NAME_PARAMETER]: { Ref: NOTIFICATION_TOPIC_NAME_PARAMETER },
};

/**
 * A fixed remediation value for the pack. `{partition}`, `{region}`, `{accountId}` and `{NotificationTopicName}`
 * become references, so one pack names the right ARN in every account it reaches (Fn::Join, not Fn::Sub: serverless
 * would read `${...}` as its own variables).
 */
export function packValue(value: string): Json {
  const parts = value.split(/(\{[A-Za-z]+\})/).filter((p) => p !== '');
  if (parts.length === 1 && !/^\{[A-Za-z]+\}$/.test(value)) return value;
  return {
    'Fn::Join': [
      '',
      parts.map((p) => {
        const m = /^\{([A-Za-z]+)\}$/.exec(p);
        if (!m?.[1]) return p;
        const ref = PLACEHOLDERS[m[1]];
        if (!ref) throw new Error(`Unknown placeholder ${p} in a fixed remediation value; expected one of ${Object.keys(PLACEHOLDERS).map((k) => `{${k}}`).join(', ')}.`);
        return ref;
      }),
    ],
  };
}
export const DEFAULT_MAXIMUM_EXECUTION_FREQUENCY = 'TwentyFour_Hours';

/** `kinesis-stream-encrypted` → `KinesisStreamEncrypted`, `exemptResourceIds` → `ExemptResourceIds`. */
export function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** Logical IDs and parameter names of one safeguard in the pack; serverless.yml fills in the same names. */
export function packNames(safeguard: Safeguard) {
  const base = pascal(safeguard.name);
  return {
    rule: base,
    remediation: `${base}Remediation`,
    lambdaArn: `${base}LambdaArn`,
    frequency: `${base}MaximumExecutionFrequency`,
    parameter: (name: string) => `${base}Param${pascal(name)}`,
    remediationParameter: (name: string) => `${base}RemediationParam${pascal(name)}`,
  };
}

/** Condition that is true when a pack parameter is not empty. */
const conditionOf = (parameter: string) => `Has${parameter}`;

/**
 * Config rejects an empty remediation value (StaticValue values are 1 to 256 characters), and AWS's own HIPAA pack
 * drops empty rule parameters the same way. So every optional value is omitted when its pack parameter is empty;
 * the runtime and the document then apply their own defaults.
 */
function optional(parameter: string): Json {
  return { 'Fn::If': [conditionOf(parameter), { Ref: parameter }, { Ref: 'AWS::NoValue' }] };
}

function ruleDescription(safeguard: Safeguard): string {
  const withCitations = `${safeguard.description} (${safeguard.hipaa.join('; ')})`;
  if (withCitations.length <= MAX_RULE_DESCRIPTION) return withCitations;
  if (safeguard.description.length <= MAX_RULE_DESCRIPTION) return safeguard.description;
  throw new Error(
    `Safeguard ${safeguard.name} has a ${safeguard.description.length}-character description; a Config rule description holds at most ${MAX_RULE_DESCRIPTION}.`,
  );
}

export interface PackTemplate {
  readonly Parameters: Record<string, Json>;
  readonly Conditions: Record<string, Json>;
  readonly Resources: Record<string, Json>;
}

/**
 * The conformance pack of the catalog: one CUSTOM_LAMBDA ConfigRule per safeguard, its RemediationConfiguration,
 * and every parameter (rule, schedule, remediation) as a pack parameter with the catalog's default.
 */
export function buildPack(safeguards: readonly Safeguard[]): PackTemplate {
  if (safeguards.length > MAX_PACK_RULES) {
    throw new Error(`The catalog has ${safeguards.length} safeguards; a conformance pack holds at most ${MAX_PACK_RULES} rules.`);
  }
  const Parameters: Record<string, Json> = {
    [NOTIFICATION_TOPIC_NAME_PARAMETER]: {
      Type: 'String',
      Default: DEFAULT_NOTIFICATION_TOPIC_NAME,
      Description: 'Name of the SNS topic (in each account and region) that notification remediations publish to; subscribe your security team to it.',
    },
  };
  const Conditions: Record<string, Json> = {};
  const Resources: Record<string, Json> = {};
  const claim = (table: Record<string, Json>, name: string, value: Json) => {
    if (Object.hasOwn(Parameters, name) || Object.hasOwn(Conditions, name) || Object.hasOwn(Resources, name)) {
      throw new Error(`Conformance pack name ${name} is generated twice; rename a safeguard or parameter.`);
    }
    table[name] = value;
  };
  const optionalParameter = (name: string, defaultValue: string, description: string) => {
    claim(Parameters, name, { Type: 'String', Default: defaultValue, Description: description });
    claim(Conditions, conditionOf(name), { 'Fn::Not': [{ 'Fn::Equals': ['', { Ref: name }] }] });
  };

  for (const s of safeguards) {
    const names = packNames(s);
    claim(Parameters, names.lambdaArn, { Type: 'String', Description: `ARN of the Lambda function that evaluates ${s.name}.` });

    const sourceDetails: Json[] = [];
    if (s.triggers.includes('change')) {
      sourceDetails.push(
        { EventSource: 'aws.config', MessageType: 'ConfigurationItemChangeNotification' },
        { EventSource: 'aws.config', MessageType: 'OversizedConfigurationItemChangeNotification' },
      );
    }
    if (s.triggers.includes('periodic')) {
      claim(Parameters, names.frequency, {
        Type: 'String',
        Default: DEFAULT_MAXIMUM_EXECUTION_FREQUENCY,
        Description: `How often ${s.name} re-evaluates every resource: One_Hour, Three_Hours, Six_Hours, Twelve_Hours or TwentyFour_Hours.`,
      });
      sourceDetails.push({
        EventSource: 'aws.config',
        MessageType: 'ScheduledNotification',
        MaximumExecutionFrequency: { Ref: names.frequency },
      });
    }

    const inputParameters: Record<string, Json> = {};
    for (const [name, spec] of Object.entries(s.schema)) {
      const parameter = names.parameter(name);
      optionalParameter(parameter, defaultAsString(spec), spec.description);
      inputParameters[name] = optional(parameter);
    }

    claim(Resources, names.rule, {
      Type: 'AWS::Config::ConfigRule',
      Properties: {
        ConfigRuleName: s.name,
        Description: ruleDescription(s),
        InputParameters: inputParameters,
        // Change notifications need the type; periodic-only rules list through the API and have no scope.
        ...(s.triggers.includes('change') ? { Scope: { ComplianceResourceTypes: [...(s.resource.recordedTypes ?? s.resource.resourceTypes)] } } : {}),
        Source: { Owner: 'CUSTOM_LAMBDA', SourceIdentifier: { Ref: names.lambdaArn }, SourceDetails: sourceDetails },
      },
    });

    const r = s.remediation;
    if (!r) continue;
    const remediationParameters: Record<string, Json> = {
      // Each document runs as its own role, holding only that document's actions (scripts/lib/iam.ts).
      AutomationAssumeRole: { StaticValue: { Values: [remediationRoleArn(r.document)] } },
      [r.resourceIdParameter]: { ResourceValue: { Value: 'RESOURCE_ID' } },
    };
    for (const [name, value] of Object.entries(r.fixed ?? {})) remediationParameters[name] = { StaticValue: { Values: [packValue(value)] } };
    for (const [name, p] of Object.entries(r.parameters ?? {})) {
      const parameter = names.remediationParameter(name);
      optionalParameter(parameter, p.default, p.description);
      remediationParameters[name] = {
        'Fn::If': [conditionOf(parameter), { StaticValue: { Values: [{ Ref: parameter }] } }, { Ref: 'AWS::NoValue' }],
      };
    }
    claim(Resources, names.remediation, {
      Type: 'AWS::Config::RemediationConfiguration',
      // ConfigRuleName is a plain string, so the order has to be explicit.
      DependsOn: names.rule,
      Properties: {
        ConfigRuleName: s.name,
        // Optional: a rule over several types leaves it out and remediates them all with the one document, unless the
        // link names the one type its document handles.
        ...(r.resourceType ? { ResourceType: r.resourceType } : s.resource.resourceTypes.length === 1 ? { ResourceType: s.resource.resourceTypes[0] } : {}),
        TargetType: 'SSM_DOCUMENT',
        TargetId: r.document,
        Automatic: r.automatic,
        MaximumAutomaticAttempts: r.maximumAutomaticAttempts,
        RetryAttemptSeconds: r.retryAttemptSeconds,
        Parameters: remediationParameters,
      },
    });
  }
  return { Parameters, Conditions, Resources };
}

const HEADER = `# HIPAA Safeguards conformance pack.
# Generated from rules/catalog.ts by \`npm run build:pack\`: do not edit; a test fails when it drifts.
# Deployed by serverless.yml, which fills in every *LambdaArn parameter. Each remediation runs as its document's
# own role, <document>-<region>, which the stack (or the spoke) creates.
`;

/** The pack file's exact text: deterministic, so the committed file can be compared with it. */
export function renderPack(safeguards: readonly Safeguard[]): string {
  // lineWidth 0: no folding, so a description reads on one line and diffs stay small.
  return HEADER + stringify(buildPack(safeguards), { lineWidth: 0, aliasDuplicateObjects: false });
}
