import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import {
  CreateBucketCommand,
  type BucketLocationConstraint,
  HeadBucketCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
  S3ServiceException,
  waitUntilBucketExists,
} from '@aws-sdk/client-s3';
import { catalog } from '../../../rules/catalog';
import { MAX_TEMPLATE_S3_BYTES, PACK_PATH, renderPack } from '../conformance-pack';
import { loadAllRemediationDocuments } from '../remediation-docs';
import { ORGANIZATION_PACK_BUCKET_PREFIX } from '../serverless-resources';
import { SPOKE_PATH, renderSpoke } from '../spoke-template';
import { DeployError, TemplateDriftError } from './errors';

/** S3 bucket names hold 63 characters. */
const MAX_BUCKET_NAME = 63;

/** aws, aws-cn or aws-us-gov, from a region name. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * The artifact bucket of an account and region. Its name starts with `awsconfigconforms`, which organization
 * conformance packs require of a TemplateS3Uri bucket, and holds the account and region (bucket names are global).
 */
export function artifactBucketName(service: string, account: string, region: string): string {
  const name = `${artifactBucketPrefix(service, account)}-${region}`;
  if (name.length > MAX_BUCKET_NAME) throw new DeployError(`Artifact bucket name ${name} is ${name.length} characters; S3 allows ${MAX_BUCKET_NAME}.`);
  return name;
}

/** The artifact bucket's name without its `-<region>`: the spoke's HookCodeBucketPrefix (its hook reads `<prefix>-<region>`). */
export const artifactBucketPrefix = (service: string, account: string) => `${ORGANIZATION_PACK_BUCKET_PREFIX}-${service}-${account}`;

/** A committed template, checked against what the catalog generates, with its content-addressed object key. */
export interface Artifact {
  readonly file: string;
  readonly text: string;
  /** `<stage>/<folder>/<name>-<sha256 prefix>.yaml`: a new content is a new key, so CloudFormation sees the change. */
  readonly key: string;
}

function artifact(path: string, generated: string, sources: string, stage: string, folder: string, name: string): Artifact {
  const file = relative(process.cwd(), path);
  let committed = '';
  try {
    committed = readFileSync(path, 'utf8');
  } catch {
    // Missing is drift like any other.
  }
  if (committed !== generated) throw new TemplateDriftError(`${file} is out of date with ${sources}. Run npm run build:pack.`);
  const hash = createHash('sha256').update(generated).digest('hex').slice(0, 16);
  return { file, text: generated, key: `${stage}/${folder}/${name}-${hash}.yaml` };
}

export function packArtifact(stage: string): Artifact {
  const pack = artifact(PACK_PATH, renderPack(catalog), 'rules/catalog.ts', stage, 'conformance-packs', 'hipaa-safeguards');
  const bytes = Buffer.byteLength(pack.text);
  if (bytes > MAX_TEMPLATE_S3_BYTES) throw new DeployError(`${pack.file} is ${bytes} bytes; Config reads at most ${MAX_TEMPLATE_S3_BYTES} from TemplateS3Uri.`);
  return pack;
}

export const spokeArtifact = (stage: string): Artifact =>
  artifact(SPOKE_PATH, renderSpoke(catalog, loadAllRemediationDocuments()), 'rules/catalog.ts or remediations/', stage, 'spoke', 'hipaa-safeguards-spoke');

/** The packaged hook Lambda zip, with its content-addressed key: new code is a new key, so a StackSet update replaces the code. */
export interface HookCode {
  readonly file: string;
  readonly bytes: Buffer;
  /** `<stage>/hook/cloudformation-hook-<sha256 prefix>.zip` */
  readonly key: string;
}

export function hookCodeArtifact(zipPath: string, stage: string): HookCode {
  let bytes: Buffer;
  try {
    bytes = readFileSync(zipPath);
  } catch (error) {
    throw new DeployError(`The hook Lambda package ${zipPath} is missing: sls package did not write it.`, { cause: error });
  }
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  return { file: zipPath, bytes, key: `${stage}/hook/cloudformation-hook-${hash}.zip` };
}

export const s3Uri = (bucket: string, key: string) => `s3://${bucket}/${key}`;
export const httpsUrl = (bucket: string, region: string, key: string) =>
  `https://${bucket}.s3.${region}.amazonaws.com${partitionOf(region) === 'aws-cn' ? '.cn' : ''}/${key}`;

/**
 * The service-linked role Config uses for conformance packs in every account (AWSServiceRoleForConfigConforms): for an
 * organization conformance pack it reads the TemplateS3Uri from each member account.
 * @see https://docs.aws.amazon.com/config/latest/developerguide/cpack-prerequisites.html
 */
export function configConformsRoleArnPattern(partition: string): string {
  return `arn:${partition}:iam::*:role/aws-service-role/config-conforms.amazonaws.com/AWSServiceRoleForConfigConforms`;
}

/**
 * The execution role that service-managed StackSets create in each target account (`stacksets-exec-*`): the spoke
 * stack's Lambda function is created as it, so it is the principal that reads the hook code from the hub's bucket.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-custom-execution-role.html
 */
export function stackSetExecutionRoleArnPattern(partition: string): string {
  return `arn:${partition}:iam::*:role/stacksets-exec-*`;
}

/**
 * TLS only; and, for an organization, only Config's conformance-pack service-linked role of the organization's
 * accounts may read the conformance pack templates (aws:PrincipalOrgID and aws:PrincipalArn). Nothing else is
 * shared: the spoke template is read by CloudFormation as the caller, in this account. With `shareHookCode` (deploy-org
 * --prevention-mode FAIL or WARN), the StackSet execution roles of the organization's accounts may also read the hook
 * Lambda code (`<stage>/hook/*`), which Lambda fetches as the role that creates the spoke's function.
 */
export function bucketPolicy(bucket: string, region: string, organizationId?: string, shareHookCode = false): string {
  const arn = `arn:${partitionOf(region)}:s3:::${bucket}`;
  const statements: unknown[] = [
    {
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      // A Deny: it takes every action away without TLS, it grants none.
      Action: 's3:*',
      Resource: [arn, `${arn}/*`],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
  ];
  if (organizationId) {
    statements.push({
      Sid: 'ConfigConformsRoleOfTheOrganizationReadsPackTemplates',
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: `${arn}/*/conformance-packs/*`,
      Condition: {
        StringEquals: { 'aws:PrincipalOrgID': organizationId },
        ArnLike: { 'aws:PrincipalArn': configConformsRoleArnPattern(partitionOf(region)) },
      },
    });
    if (shareHookCode) {
      statements.push({
        Sid: 'StackSetExecutionRolesOfTheOrganizationReadHookCode',
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: `${arn}/*/hook/*`,
        Condition: {
          StringEquals: { 'aws:PrincipalOrgID': organizationId },
          ArnLike: { 'aws:PrincipalArn': stackSetExecutionRoleArnPattern(partitionOf(region)) },
        },
      });
    }
  }
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/** Whether the bucket exists and is ours; a bucket of another owner stops the deployment (someone took the name). */
async function bucketExists(s3: S3Client, bucket: string, owner: string): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket, ExpectedBucketOwner: owner }));
    return true;
  } catch (error) {
    const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
    if (status === 404) return false;
    if (status === 403) {
      throw new DeployError(`Bucket ${bucket} exists but is not owned by account ${owner} (or is not readable by these credentials); refusing to upload to it.`, {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Creates the bucket when missing (then waits for it), and sets public access block, versioning (every template a
 * deployment used stays readable) and policy every time.
 */
export async function ensureBucket(
  s3: S3Client,
  bucket: string,
  region: string,
  owner: string,
  organizationId?: string,
  shareHookCode = false,
): Promise<'created' | 'updated'> {
  const exists = await bucketExists(s3, bucket, owner);
  if (!exists) {
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        // us-east-1 is the default location and refuses an explicit constraint.
        ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
      }),
    );
    await waitUntilBucketExists({ client: s3, maxWaitTime: 120 }, { Bucket: bucket, ExpectedBucketOwner: owner });
  }
  await s3.send(
    new PutPublicAccessBlockCommand({
      Bucket: bucket,
      ExpectedBucketOwner: owner,
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
    }),
  );
  await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, ExpectedBucketOwner: owner, VersioningConfiguration: { Status: 'Enabled' } }));
  await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, ExpectedBucketOwner: owner, Policy: bucketPolicy(bucket, region, organizationId, shareHookCode) }));
  return exists ? 'updated' : 'created';
}

export async function upload(s3: S3Client, bucket: string, owner: string, a: Artifact): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: a.key,
      Body: a.text,
      ContentType: 'application/x-yaml',
      ExpectedBucketOwner: owner,
      ServerSideEncryption: 'AES256',
    }),
  );
}

export async function uploadHookCode(s3: S3Client, bucket: string, owner: string, code: HookCode): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: code.key,
      Body: code.bytes,
      ContentType: 'application/zip',
      ExpectedBucketOwner: owner,
      // SSE-S3, not KMS: the member accounts' execution roles read it without a key grant.
      ServerSideEncryption: 'AES256',
    }),
  );
}
