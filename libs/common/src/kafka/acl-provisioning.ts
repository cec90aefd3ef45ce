import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
  type Admin,
} from 'kafkajs';
import { KAFKA_SERVICES, serviceAcls, type KafkaAcl } from './access';

/**
 * The ACLs of the user that makes ACLs (MSK's `AmazonMSK_…_app`): ALL on the cluster (ALTER and
 * DESCRIBE to create and list ACLs; CLUSTER_ACTION, IDEMPOTENT_WRITE and the rest for the
 * operators' tools), on every topic and every group. MSK has no `super.users`: once the cluster
 * or a topic has any ACL, a principal without one of its own is refused there, this one included.
 * So these come first, while `allow.everyone.if.no.acl.found=true` (MSK's default, our
 * `msk_acls_enforced = false`) still lets it make them.
 */
export function aclAdminAcls(username: string): KafkaAcl[] {
  const { CLUSTER, TOPIC, GROUP } = AclResourceTypes;
  return [
    [CLUSTER, 'kafka-cluster'],
    [TOPIC, '*'],
    [GROUP, '*'],
  ].map(([resourceType, resourceName]) => ({
    resourceType: resourceType as AclResourceTypes,
    resourceName: resourceName as string,
    resourcePatternType: ResourcePatternTypes.LITERAL,
    principal: `User:${username}`,
    host: '*',
    operation: AclOperationTypes.ALL,
    permissionType: AclPermissionTypes.ALLOW,
  }));
}

const aclKey = (
  a: Omit<KafkaAcl, 'resourceType' | 'resourceName' | 'resourcePatternType'> & Partial<KafkaAcl>,
) =>
  [
    a.resourceType,
    a.resourceName,
    a.resourcePatternType,
    a.principal,
    a.host,
    a.operation,
    a.permissionType,
  ].join('|');

/** The bindings of `wanted` the broker does not show yet. */
async function missingAcls(admin: Admin, wanted: KafkaAcl[]): Promise<KafkaAcl[]> {
  const { resources } = await admin.describeAcls({
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  });
  const have = new Set(
    resources.flatMap((r) =>
      r.acls.map((a) =>
        aclKey({
          ...a,
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          resourcePatternType: r.resourcePatternType,
        }),
      ),
    ),
  );
  return wanted.filter((a) => !have.has(aclKey(a)));
}

/**
 * Creates the bindings (creating one that exists is a no-op for Kafka: idempotent) and returns once
 * describeAcls shows every one: the controller has them when createAcls returns, a broker's
 * authorizer a moment later. Returns how many were not there before.
 */
export async function applyAcls(admin: Admin, acl: KafkaAcl[], timeoutMs = 30_000): Promise<number> {
  const before = (await missingAcls(admin, acl)).length;
  if (before > 0) await admin.createAcls({ acl });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const missing = await missingAcls(admin, acl);
    if (missing.length === 0) return before;
    if (Date.now() > deadline)
      throw new Error(
        `${missing.length} of ${acl.length} ACLs not visible on the broker after ${timeoutMs} ms, e.g. ${aclKey(missing[0]!)}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Every service's ACLs (`serviceAcls`, from TOPIC_ACCESS), made by `admin` (a kafkajs admin client
 * connected as the ACL-making user): locally by `npm start` and the tests (a super user, so
 * `aclAdmin` is not needed), on MSK by the bootstrap task (`provision-kafka-acls`), which passes
 * its own user name as `aclAdmin` so that it grants itself first (see aclAdminAcls). Idempotent.
 * `prefix` is the topic/group prefix (tests; '' in production).
 */
export async function provisionKafkaAcls(
  admin: Admin,
  opts: { prefix?: string; aclAdmin?: string; timeoutMs?: number } = {},
): Promise<{ created: number; total: number }> {
  let created = 0;
  let total = 0;
  if (opts.aclAdmin) {
    const own = aclAdminAcls(opts.aclAdmin);
    created += await applyAcls(admin, own, opts.timeoutMs);
    total += own.length;
  }
  const services = KAFKA_SERVICES.flatMap((s) => serviceAcls(s, opts.prefix ?? ''));
  created += await applyAcls(admin, services, opts.timeoutMs);
  total += services.length;
  return { created, total };
}
