import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { ConfigServiceClient } from '@aws-sdk/client-config-service';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { fromIni } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** The SDK clients a deployment plan uses; created only when a plan is executed, never for a dry run. */
export interface DeployClients {
  sts(region: string): STSClient;
  /** Organizations has one global endpoint; the SDK sends every region there. */
  organizations(region: string): OrganizationsClient;
  s3(region: string): S3Client;
  cloudFormation(region: string): CloudFormationClient;
  config(region: string): ConfigServiceClient;
}

export interface ClientOptions {
  readonly profile?: string;
  /** Custom endpoint (moto); S3 then uses path-style addressing. */
  readonly endpoint?: string;
  readonly maxAttempts?: number;
}

/** Real clients: the default credential chain or a profile, adaptive retries, one client per service and region. */
export function awsDeployClients(options: ClientOptions = {}): DeployClients {
  const made = new Map<string, unknown>();
  const base = (region: string) => ({
    region,
    retryMode: 'adaptive' as const,
    maxAttempts: options.maxAttempts ?? 8,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 60_000 }),
    ...(options.profile ? { credentials: fromIni({ profile: options.profile }) } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
  const once = <C>(key: string, make: () => C): C => {
    let c = made.get(key) as C | undefined;
    if (!c) {
      c = make();
      made.set(key, c);
    }
    return c;
  };
  return {
    sts: (region) => once(`sts:${region}`, () => new STSClient(base(region))),
    organizations: (region) => once(`organizations:${region}`, () => new OrganizationsClient(base(region))),
    s3: (region) => once(`s3:${region}`, () => new S3Client({ ...base(region), ...(options.endpoint ? { forcePathStyle: true } : {}) })),
    cloudFormation: (region) => once(`cloudformation:${region}`, () => new CloudFormationClient(base(region))),
    config: (region) => once(`config:${region}`, () => new ConfigServiceClient(base(region))),
  };
}
